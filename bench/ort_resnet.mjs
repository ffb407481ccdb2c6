#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node, CPU execution provider) timings for the image tower of the
// random-weight OpenAI RN50 CLIP that bench/make_rn50.py exports (only the image tower is
// exported: the text tower is the ViT-B/32 one bench/ort_clip.mjs already times).
//
//   node bench/ort_resnet.mjs --models /tmp/rn50/onnx [--threads 2] [--batch 1] [--iterations 10] [--warmup 2]
//
// Prints one JSON object like `clipkit bench --json`: image_ms (median ms per image after
// warm-up), plus min/max under "image". Session options as the other ORT peers
// (bench/ort_common.mjs): intraOpNumThreads = threads, interOpNumThreads = 1,
// graphOptimizationLevel 'all', sequential execution.
//
// --check DIR: runs DIR/image.f32 ([n,3,224,224]) through the graph and prints
// {"ort": version, "image": [...]} (bench/resnet_check.py compares it).
//
// Setup: npm ci --prefix bench --ignore-scripts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createSession, lcg, ort, parseOptions, randomImages, resultHeader, run, timeIt,
} from './ort_common.mjs';

const { opt, threads, batch, iterations, warmup } = parseOptions('/tmp/rn50/onnx');
const SIZE = 224;
const session = await createSession(opt.models, 'visual.onnx', threads);

if (opt.check !== undefined) {
  const img = readFileSync(join(opt.check, 'image.f32'));
  const images = new Float32Array(img.buffer.slice(img.byteOffset, img.byteOffset + img.byteLength));
  const n = images.length / (3 * SIZE * SIZE);
  const image = await run(session, 'image', new ort.Tensor('float32', images, [n, 3, SIZE, SIZE]));
  console.log(JSON.stringify({ ort: ort.env.versions.node, image: Array.from(image.data) }));
  process.exit(0);
}

// Deterministic pseudo-random pixels (values do not change the timing).
const out = resultHeader(threads, batch);
const images = randomImages(batch, SIZE, lcg());
out.image = await timeIt(() => run(session, 'image', images), batch, warmup, iterations);
out.image_ms = out.image.median_ms;
console.log(JSON.stringify(out));
