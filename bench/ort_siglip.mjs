#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node, CPU execution provider) timings for the random-weight
// open_clip ViT-B-16-SigLIP that bench/make_siglip_b16.py exports.
//
//   node bench/ort_siglip.mjs --models /tmp/siglip-b16/onnx [--threads 2] [--batch 1] [--iterations 10] [--warmup 2]
//
// Prints one JSON object like `clipkit bench --json`: image_ms and text_64_ms (median ms per
// item after warm-up), plus min/max. SigLIP's text tower has no mask and reads the last
// position, so every text runs all 64 positions (no EOT shortcut, for any peer). Session
// options as bench/ort_clip.mjs: intraOpNumThreads = threads, interOpNumThreads = 1,
// graphOptimizationLevel 'all', sequential execution.
//
// --check DIR: runs DIR/image.f32 ([n,3,224,224]) and DIR/tokens.i64 ([m,64]) through both
// graphs and prints {"image": [...], "text": [...]} (bench/siglip_check.py compares them).
//
// Setup: npm ci --prefix bench --ignore-scripts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: '/tmp/siglip-b16/onnx' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string', default: 'image,text' },
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
const only = new Set(opt.only.split(','));

const sessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};
const want = (what) => opt.check !== undefined || only.has(what);
const imageSession = want('image') ? await ort.InferenceSession.create(join(opt.models, 'siglip_image.onnx'), sessionOptions) : null;
const textSession = want('text') ? await ort.InferenceSession.create(join(opt.models, 'siglip_text.onnx'), sessionOptions) : null;

const CONTEXT = 64;
const SIZE = 224;
const VOCAB = 32000;

async function run(session, name, tensor) {
  const out = await session.run({ [name]: tensor });
  return out.embedding;
}

if (opt.check !== undefined) {
  const img = readFileSync(join(opt.check, 'image.f32'));
  const tok = readFileSync(join(opt.check, 'tokens.i64'));
  const images = new Float32Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.byteLength));
  const tokens = new BigInt64Array(tok.buffer.slice(tok.byteOffset, tok.byteOffset + tok.byteLength));
  const image = await run(imageSession, 'image', new ort.Tensor('float32', images, [images.length / (3 * SIZE * SIZE), 3, SIZE, SIZE]));
  const text = await run(textSession, 'tokens', new ort.Tensor('int64', tokens, [tokens.length / CONTEXT, CONTEXT]));
  console.log(JSON.stringify({ ort: ort.env.versions.node, image: Array.from(image.data), text: Array.from(text.data) }));
  process.exit(0);
}

async function timeIt(fn, items) {
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

// Deterministic pseudo-random pixels and token ids (values do not change the timing).
let seed = 12345;
const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
const out = { threads, batch, onnxruntime: ort.env.versions.node, provider: 'cpu' };
if (imageSession) {
  const pixels = new Float32Array(batch * 3 * SIZE * SIZE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = next() / 2 ** 31 - 1;
  const images = new ort.Tensor('float32', pixels, [batch, 3, SIZE, SIZE]);
  out.image = await timeIt(() => run(imageSession, 'image', images), batch);
  out.image_ms = out.image.median_ms;
}
if (textSession) {
  const ids = new BigInt64Array(batch * CONTEXT);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(2 + (next() % (VOCAB - 2)));
  const tokens = new ort.Tensor('int64', ids, [batch, CONTEXT]);
  out.text_64 = await timeIt(() => run(textSession, 'tokens', tokens), batch);
  out.text_64_ms = out.text_64.median_ms;
}
console.log(JSON.stringify(out));
