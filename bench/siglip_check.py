#!/usr/bin/python3
"""Checks that the SigLIP speed comparison compares one model: PyTorch's embeddings of the
check inputs (DIR/expected.json, from bench/make_siglip_b16.py) against ONNX Runtime's
(bench/ort_siglip.mjs --check DIR) and clipkit's (`clipkit bench --model … --check DIR`),
row by row: cosine ≥ 0.9999 and max |Δ| / max |expected| per tower. Exit 1 on a mismatch.

Usage: bench/siglip_check.py DIR ORT.json CLIPKIT.json   (JSON: {"image": [...], "text": [...]})
"""
import json
import math
import sys

MIN_COSINE = 0.9999
EMBED = 768


def rows(flat):
    return [flat[i:i + EMBED] for i in range(0, len(flat), EMBED)]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def main():
    check_dir, peers = sys.argv[1], {"ORT": sys.argv[2], "clipkit": sys.argv[3]}
    expected = json.load(open(f"{check_dir}/expected.json"))
    worst = 1.0
    for peer, path in peers.items():
        got = json.load(open(path))
        for tower in ("image", "text"):
            want, have = rows(expected[tower]), rows(got[tower])
            if len(want) != len(have):
                raise SystemExit(f"siglip_check: {peer} {tower}: {len(have)} rows, expected {len(want)}")
            cos = [cosine(a, b) for a, b in zip(want, have)]
            scale = max(abs(x) for x in expected[tower])
            diff = max(abs(x - y) for x, y in zip(expected[tower], got[tower])) / scale
            worst = min(worst, *cos)
            print(f"{peer} vs PyTorch {expected['torch']} (open_clip {expected['open_clip']}), {tower}: cosine "
                  f"{', '.join(f'{c:.9f}' for c in cos)}; max |Δ|/max {diff:.1e}")
    if worst < MIN_COSINE:
        raise SystemExit(f"siglip_check: worst cosine {worst:.9f} < {MIN_COSINE}")
    print(f"siglip_check: ok (worst cosine {worst:.9f})")


if __name__ == "__main__":
    main()
