#!/usr/bin/python3
"""Holds ORT's and clipkit's embeddings of bench/make_xlmr_base.py's check rows to
PyTorch's (check/expected.json): per-row cosine ≥ 0.9999 (exits 1 otherwise) and
max |Δ| / max |expected|.

  /usr/bin/python3 bench/xlmr_check.py CHECK_DIR ORT_JSON CLIPKIT_JSON
ORT_JSON: `node bench/ort_xlmr.mjs --check CHECK_DIR` ("text": the 77-wide rows with pads,
"short": the first row cut to its 8 tokens). CLIPKIT_JSON: `build/bench/xlmr_bench --model
… --check CHECK_DIR` ("text": the 77-wide rows; clipkit cuts the pads itself).
"""
import json
import math
import os
import sys

check, ort_path, clipkit_path = sys.argv[1:4]
expected = json.load(open(os.path.join(check, "expected.json")))
ort = json.load(open(ort_path))
ck = json.load(open(clipkit_path))
DIM = 512


def rows(v):
    return [v[i:i + DIM] for i in range(0, len(v), DIM)]


def compare(name, got, want):
    worst_cos, worst_rel = 1.0, 0.0
    assert len(got) == len(want), name
    for g, w in zip(rows(got), rows(want)):
        dot = sum(a * b for a, b in zip(g, w))
        cos = dot / math.sqrt(sum(a * a for a in g) * sum(b * b for b in w))
        rel = max(abs(a - b) for a, b in zip(g, w)) / max(abs(b) for b in w)
        worst_cos, worst_rel = min(worst_cos, cos), max(worst_rel, rel)
    print(f"{name}: {len(got) // DIM} rows, worst cosine {worst_cos:.9f}, max |Δ|/max {worst_rel:.1e}")
    return worst_cos >= 0.9999


ok = compare("ORT 77-wide rows vs PyTorch", ort["text"], expected["text"])
ok &= compare("ORT 8-token row (no pads) vs PyTorch", ort["short"], expected["short"])
ok &= compare("PyTorch 8-token row vs the same row padded to 77", expected["short"], expected["text"][:DIM])
ok &= compare("clipkit 77-wide rows vs PyTorch", ck["text"], expected["text"])
sys.exit(0 if ok else 1)
