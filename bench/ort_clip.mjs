#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node, CPU execution provider) timings for the random-weight
// ViT-B/32 that bench/export_onnx.py exports from bench/pytorch_clip.py.
//
//   node bench/ort_clip.mjs --models build/bench [--threads 2] [--batch 1] [--iterations 10] [--warmup 2]
//
// Prints one JSON object like bench/pytorch_clip.py: image_ms, text_7_ms, text_77_ms (median ms
// per item after warm-up). Both text rows run all 77 positions: the exported graph is OpenAI's
// encode_text, which a user of ORT would run. Session options: intraOpNumThreads = threads,
// interOpNumThreads = 1, graphOptimizationLevel 'all', sequential execution.
//
// --check DIR: runs DIR/image.f32 ([3,3,224,224]) and DIR/tokens.i64 ([3,77]) through both
// graphs and prints {"image": [...], "text": [...]} for export_onnx.py's parity check.
//
// Setup: npm install --prefix bench --ignore-scripts   (the CPU binary ships in the package;
// the install script only fetches a GPU provider).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

const { values: opt } = parseArgs({
  options: {
    models: { type: 'string', default: 'build/bench' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
    iterations: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
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

const sessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};
const imageSession = await ort.InferenceSession.create(join(opt.models, 'clip_image.onnx'), sessionOptions);
const textSession = await ort.InferenceSession.create(join(opt.models, 'clip_text.onnx'), sessionOptions);

const CONTEXT = 77;

function tokenRow(length) {
  // As the other peers: SOT, ascending ids, EOT, zero padding to 77.
  const row = new BigInt64Array(CONTEXT);
  row[0] = 49406n;
  for (let i = 1; i < length - 1; i++) row[i] = BigInt(320 + i);
  row[length - 1] = 49407n;
  return row;
}

function tokenTensor(rows) {
  const data = new BigInt64Array(rows.length * CONTEXT);
  rows.forEach((row, i) => data.set(row, i * CONTEXT));
  return new ort.Tensor('int64', data, [rows.length, CONTEXT]);
}

async function run(session, name, tensor) {
  const out = await session.run({ [name]: tensor });
  return out.embedding;
}

if (opt.check !== undefined) {
  const img = readFileSync(join(opt.check, 'image.f32'));
  const tok = readFileSync(join(opt.check, 'tokens.i64'));
  const images = new Float32Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.byteLength));
  const tokens = new BigInt64Array(tok.buffer.slice(tok.byteOffset, tok.byteOffset + tok.byteLength));
  const n = tokens.length / CONTEXT;
  const image = await run(imageSession, 'image', new ort.Tensor('float32', images, [images.length / (3 * 224 * 224), 3, 224, 224]));
  const text = await run(textSession, 'tokens', new ort.Tensor('int64', tokens, [n, CONTEXT]));
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
  return ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
}

// Deterministic pseudo-random pixels (values do not change the timing).
const pixels = new Float32Array(batch * 3 * 224 * 224);
let seed = 12345;
for (let i = 0; i < pixels.length; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  pixels[i] = seed / 2 ** 31 - 1;
}
const images = new ort.Tensor('float32', pixels, [batch, 3, 224, 224]);

const out = { threads, batch, onnxruntime: ort.env.versions.node, provider: 'cpu' };
out.image_ms = await timeIt(() => run(imageSession, 'image', images), batch);
for (const length of [7, 77]) {
  const tokens = tokenTensor(Array.from({ length: batch }, () => tokenRow(length)));
  out[`text_${length}_ms`] = await timeIt(() => run(textSession, 'tokens', tokens), batch);
}
console.log(JSON.stringify(out));
