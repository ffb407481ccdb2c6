#!/usr/bin/python3
"""Checks that the ResNet speed comparison compares one model: PyTorch's embeddings of the check
inputs (DIR/check/expected.json, from bench/make_rn50.py) against ONNX Runtime's image tower
(bench/ort_resnet.mjs --check) and clipkit's (`clipkit bench --model DIR/RN50-random.pt --check`),
row by row: cosine ≥ 0.9999 and max |Δ| / max |expected|. Images: PyTorch vs ORT, PyTorch vs
clipkit and ORT vs clipkit; texts (only clipkit has the text tower here): clipkit vs PyTorch.
Exit 1 on a mismatch. Also prints clipkit bf16's cosine to PyTorch (information, not checked).

Usage: /usr/bin/python3 bench/resnet_check.py DIR [build-dir]     (DIR from bench/make_rn50.py)
Needs node with `npm ci --prefix bench --ignore-scripts` (onnxruntime-node) and build/clipkit.
"""
import json
import math
import os
import subprocess
import sys

MIN_COSINE = 0.9999
HERE = os.path.dirname(os.path.abspath(__file__))


def rows(flat, width):
    return [flat[i:i + width] for i in range(0, len(flat), width)]


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def compare(label, want_flat, have_flat, width):
    want, have = rows(want_flat, width), rows(have_flat, width)
    if len(want) != len(have):
        raise SystemExit(f"resnet_check: {label}: {len(have)} rows, expected {len(want)}")
    cos = [cosine(a, b) for a, b in zip(want, have)]
    scale = max(abs(x) for x in want_flat)
    diff = max(abs(x - y) for x, y in zip(want_flat, have_flat)) / scale
    print(f"{label}: cosine {', '.join(f'{c:.9f}' for c in cos)}; max |Δ|/max {diff:.1e}")
    return min(cos)


def run_json(cmd):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"resnet_check: {' '.join(cmd)} failed ({proc.returncode})")
    return json.loads(proc.stdout)


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    model_dir = sys.argv[1]
    build = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "build")
    check_dir = os.path.join(model_dir, "check")
    expected = json.load(open(os.path.join(check_dir, "expected.json")))
    width = expected["embed"]
    ort = run_json(["node", os.path.join(HERE, "ort_resnet.mjs"), "--models", os.path.join(model_dir, "onnx"),
                    "--check", check_dir])
    clipkit = [os.path.join(build, "clipkit"), "bench", "--model", os.path.join(model_dir, "RN50-random.pt"),
               "--check", check_dir]
    ck = run_json(clipkit)
    torch_v = f"PyTorch {expected['torch']}"
    worst = min(compare(f"ORT {ort['ort']} vs {torch_v}, image", expected["image"], ort["image"], width),
                compare(f"clipkit fp32 vs {torch_v}, image", expected["image"], ck["image"], width),
                compare("clipkit fp32 vs ORT, image", ort["image"], ck["image"], width),
                compare(f"clipkit fp32 vs {torch_v}, text (7/77/20 tokens)", expected["text"], ck["text"], width))
    bf16 = run_json(clipkit + ["--precision", "bf16"])
    compare(f"clipkit bf16 vs {torch_v} fp32, image (not checked)", expected["image"], bf16["image"], width)
    if worst < MIN_COSINE:
        raise SystemExit(f"resnet_check: worst cosine {worst:.9f} < {MIN_COSINE}")
    print(f"resnet_check: ok (worst fp32 cosine {worst:.9f})")


if __name__ == "__main__":
    main()
