// What bench/ort_clip.mjs, bench/ort_siglip.mjs and bench/ort_xlmr.mjs share: their common
// command-line options, the ONNX Runtime session options, the --check inputs, the timing loop
// and the deterministic pixels. Each script keeps its own model files, inputs and output format.
//
//   import { parseOptions, createSession, run, timeIt } from './ort_common.mjs';
//   const { opt, threads, batch, iterations, warmup } = parseOptions('build/bench');
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

// --models (default `models`), --threads, --batch, --iterations, --warmup, --check and any
// `extra` parseArgs options. Throws on an unknown option, and when threads, batch or
// iterations is not a positive integer.
export function parseOptions(models, extra = {}) {
  const { values: opt } = parseArgs({
    options: {
      models: { type: 'string', default: models },
      threads: { type: 'string', default: '2' },
      batch: { type: 'string', default: '1' },
      iterations: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      ...extra,
      check: { type: 'string' },
    },
  });
  const threads = Number(opt.threads);
  const batch = Number(opt.batch);
  const iterations = Number(opt.iterations);
  const warmup = Number(opt.warmup);
  for (const [name, v] of [['threads', threads], ['batch', batch], ['iterations', iterations]]) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  }
  return { opt, threads, batch, iterations, warmup };
}

// CPU provider, intraOpNumThreads = threads, interOpNumThreads = 1, graphOptimizationLevel
// 'all', sequential execution: the same for every ORT peer.
export function createSession(dir, file, threads) {
  return ort.InferenceSession.create(join(dir, file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

// Runs one graph on one input and returns its `embedding` output.
export async function run(session, name, tensor) {
  const out = await session.run({ [name]: tensor });
  return out.embedding;
}

// DIR/image.f32 and DIR/tokens.i64 (raw little-endian arrays) for --check.
export function readCheckInputs(dir) {
  const img = readFileSync(join(dir, 'image.f32'));
  const tok = readFileSync(join(dir, 'tokens.i64'));
  const images = new Float32Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.byteLength));
  const tokens = new BigInt64Array(tok.buffer.slice(tok.byteOffset, tok.byteOffset + tok.byteLength));
  return { images, tokens };
}

// Prints --check's JSON: the ORT version and both embeddings, flattened.
export function printCheck(image, text) {
  console.log(JSON.stringify({ ort: ort.env.versions.node, image: Array.from(image.data), text: Array.from(text.data) }));
}

// `warmup` untimed calls, then `iterations` timed ones; ms per item (`items` per call).
export async function timeIt(fn, items, warmup, iterations) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn();
    ms.push((performance.now() - t0) / items);
  }
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const median = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
  return { median_ms: median, min_ms: ms[0], max_ms: ms[ms.length - 1] };
}

// A deterministic pseudo-random generator (an LCG from seed 12345): values do not change
// the timing, and every run and peer sees the same inputs.
export function lcg() {
  let seed = 12345;
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
}

// batch × 3 × size × size pixels in [-1, 1) from `next` (an lcg()).
export function randomImages(batch, size, next) {
  const pixels = new Float32Array(batch * 3 * size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = next() / 2 ** 31 - 1;
  return new ort.Tensor('float32', pixels, [batch, 3, size, size]);
}

// The first row of the JSON both scripts print.
export function resultHeader(threads, batch) {
  return { threads, batch, onnxruntime: ort.env.versions.node, provider: 'cpu' };
}

export { ort };
