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
import {
  createSession, lcg, ort, parseOptions, printCheck, randomImages, readCheckInputs, resultHeader, run, timeIt,
} from './ort_common.mjs';

const { opt, threads, batch, iterations, warmup } = parseOptions('/tmp/siglip-b16/onnx', {
  only: { type: 'string', default: 'image,text' },
});
const only = new Set(opt.only.split(','));

const want = (what) => opt.check !== undefined || only.has(what);
const imageSession = want('image') ? await createSession(opt.models, 'siglip_image.onnx', threads) : null;
const textSession = want('text') ? await createSession(opt.models, 'siglip_text.onnx', threads) : null;

const CONTEXT = 64;
const SIZE = 224;
const VOCAB = 32000;

if (opt.check !== undefined) {
  const { images, tokens } = readCheckInputs(opt.check);
  const image = await run(imageSession, 'image', new ort.Tensor('float32', images, [images.length / (3 * SIZE * SIZE), 3, SIZE, SIZE]));
  const text = await run(textSession, 'tokens', new ort.Tensor('int64', tokens, [tokens.length / CONTEXT, CONTEXT]));
  printCheck(image, text);
  process.exit(0);
}

// Deterministic pseudo-random pixels and token ids (values do not change the timing).
const next = lcg();
const out = resultHeader(threads, batch);
if (imageSession) {
  const images = randomImages(batch, SIZE, next);
  out.image = await timeIt(() => run(imageSession, 'image', images), batch, warmup, iterations);
  out.image_ms = out.image.median_ms;
}
if (textSession) {
  const ids = new BigInt64Array(batch * CONTEXT);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(2 + (next() % (VOCAB - 2)));
  const tokens = new ort.Tensor('int64', ids, [batch, CONTEXT]);
  out.text_64 = await timeIt(() => run(textSession, 'tokens', tokens), batch, warmup, iterations);
  out.text_64_ms = out.text_64.median_ms;
}
console.log(JSON.stringify(out));
