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
import {
  createSession, lcg, ort, parseOptions, printCheck, randomImages, readCheckInputs, resultHeader, run, timeIt,
} from './ort_common.mjs';

const { opt, threads, batch, iterations, warmup } = parseOptions('build/bench');
const imageSession = await createSession(opt.models, 'clip_image.onnx', threads);
const textSession = await createSession(opt.models, 'clip_text.onnx', threads);

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

if (opt.check !== undefined) {
  const { images, tokens } = readCheckInputs(opt.check);
  const n = tokens.length / CONTEXT;
  const image = await run(imageSession, 'image', new ort.Tensor('float32', images, [images.length / (3 * 224 * 224), 3, 224, 224]));
  const text = await run(textSession, 'tokens', new ort.Tensor('int64', tokens, [n, CONTEXT]));
  printCheck(image, text);
  process.exit(0);
}

const medianMs = async (fn, items) => (await timeIt(fn, items, warmup, iterations)).median_ms;
const images = randomImages(batch, 224, lcg());

const out = resultHeader(threads, batch);
out.image_ms = await medianMs(() => run(imageSession, 'image', images), batch);
for (const length of [7, 77]) {
  const tokens = tokenTensor(Array.from({ length: batch }, () => tokenRow(length)));
  out[`text_${length}_ms`] = await medianMs(() => run(textSession, 'tokens', tokens), batch);
}
console.log(JSON.stringify(out));
