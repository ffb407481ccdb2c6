#!/usr/bin/env node
// ONNX Runtime (npm onnxruntime-node, CPU execution provider) timings for the text tower of
// the random-weight open_clip xlm-roberta-base-ViT-B-32 that bench/make_xlmr_base.py exports.
//
//   node bench/ort_xlmr.mjs --models /tmp/xlmr-base/onnx [--threads 2] [--batch 1] [--iterations 7]
//                           [--warmup 2] [--tokens 8,77] [--padded 8]
//
// Every query is <s> (0), length − 2 ordinary ids, </s> (2) — as bench/xlmr_bench.cpp lays
// them out. --tokens: lengths fed at their real length (a [batch, length] tensor, no pad: what
// a caller that trims its queries gives ORT) → text_<length>_ms. --padded: lengths also fed
// padded with <pad> (1) to open_clip's context of 77 ([batch, 77]; the graph masks the pads,
// as open_clip does, but computes them) → text_<length>_pad77_ms. Median ms per query after
// warm-up, plus min/max, in one JSON object. Session options as bench/ort_clip.mjs
// (ort_common.mjs): intraOpNumThreads = threads, interOpNumThreads = 1, graph optimisation
// 'all', sequential execution.
//
// --check DIR: runs DIR/tokens.i64 ([m, 77]) and DIR/short.i64 ([1, 8]) and prints
// {"text": [...], "short": [...]} (bench/xlmr_check.py compares them with PyTorch).
//
// Setup: npm ci --prefix bench --ignore-scripts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSession, ort, parseOptions, resultHeader, run, timeIt } from './ort_common.mjs';

const { opt, threads, batch, iterations, warmup } = parseOptions('/tmp/xlmr-base/onnx', {
  tokens: { type: 'string', default: '8' },
  padded: { type: 'string', default: '8' },
});
const CONTEXT = 77;
const VOCAB = 32002;
const session = await createSession(opt.models, 'xlmr_text.onnx', threads);

function readI64(path) {
  const b = readFileSync(path);
  return new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

if (opt.check !== undefined) {
  const rows = readI64(join(opt.check, 'tokens.i64'));
  const short = readI64(join(opt.check, 'short.i64'));
  const text = await run(session, 'tokens', new ort.Tensor('int64', rows, [rows.length / CONTEXT, CONTEXT]));
  const cut = await run(session, 'tokens', new ort.Tensor('int64', short, [1, short.length]));
  console.log(JSON.stringify({ ort: ort.env.versions.node, text: Array.from(text.data), short: Array.from(cut.data) }));
  process.exit(0);
}

// batch queries of `length` real tokens in rows of `width` (width − length pads).
function queries(length, width) {
  const ids = new BigInt64Array(batch * width).fill(1n);
  for (let b = 0; b < batch; b++) {
    const row = ids.subarray(b * width, (b + 1) * width);
    row[0] = 0n;
    for (let i = 1; i < length - 1; i++) row[i] = BigInt(5 + ((b * 131 + i * 977) % (VOCAB - 6)));
    row[length - 1] = 2n;
  }
  return new ort.Tensor('int64', ids, [batch, width]);
}

const lengths = (s) => (s ? s.split(',').map(Number) : []);
const out = resultHeader(threads, batch);
for (const length of lengths(opt.tokens)) {
  const tokens = queries(length, length);
  out[`text_${length}`] = await timeIt(() => run(session, 'tokens', tokens), batch, warmup, iterations);
  out[`text_${length}_ms`] = out[`text_${length}`].median_ms;
}
for (const length of lengths(opt.padded)) {
  const tokens = queries(length, CONTEXT);
  out[`text_${length}_pad77`] = await timeIt(() => run(session, 'tokens', tokens), batch, warmup, iterations);
  out[`text_${length}_pad77_ms`] = out[`text_${length}_pad77`].median_ms;
}
console.log(JSON.stringify(out));
