#!/usr/bin/python3
"""Exports bench/pytorch_clip.py's random-weight ViT-B/32 to ONNX for the ONNX Runtime peer.

Same weights as pytorch_clip.py's main (torch.manual_seed(0); Clip()), two graphs:
  OUT/clip_image.onnx  input "image"  float32 [B,3,224,224] → "embedding" [B,512]
  OUT/clip_text.onnx   input "tokens" int64   [B,77]        → "embedding" [B,512]
The text graph runs the full 77-token context (read at the EOT = argmax position), as
OpenAI's encode_text does. Batch is dynamic in both.

Then it checks that ONNX Runtime (bench/ort_clip.mjs --check, npm onnxruntime-node) computes
the same function as PyTorch: cosine ≥ 0.9999 per row on a batch of 3 (so the dynamic batch is
exercised too). Without node/onnxruntime-node the check is skipped with a note (exit 0) unless
--require-check is given.

Run with Debian's interpreter: /usr/bin/python3 bench/export_onnx.py build/bench
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import warnings

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_clip import Clip  # noqa: E402

# encode_text indexes rows with arange/argmax, never negative: the exporter's caveat does not apply.
warnings.filterwarnings("ignore", message="Exporting aten::index operator of advanced indexing")

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 14
MIN_COSINE = 0.9999


class ImageEncoder(nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, image):
        return self.clip.encode_image(image)


class TextEncoder(nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, tokens):
        return self.clip.encode_text(tokens)


def token_rows(lengths):
    """The rows the benchmarks use: SOT, ascending ids, EOT, zero padding to 77."""
    rows = []
    for length in lengths:
        row = [49406] + [320 + i for i in range(1, length - 1)] + [49407]
        rows.append(row + [0] * (77 - length))
    return torch.tensor(rows, dtype=torch.int64)


def export(module, example, path, input_name):
    torch.onnx.export(module, (example,), path, opset_version=OPSET, do_constant_folding=True,
                      input_names=[input_name], output_names=["embedding"],
                      dynamic_axes={input_name: {0: "batch"}, "embedding": {0: "batch"}})


def cosines(a, b):
    return torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=-1).tolist()


def check(out_dir, model):
    """True when ORT matched PyTorch, False when ORT is not available; exits on a mismatch."""
    node = shutil.which("node")
    if node is None:
        return skip("node not found")
    check_dir = os.path.join(out_dir, "check")
    os.makedirs(check_dir, exist_ok=True)
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(3, 3, 224, 224, generator=gen)
    tokens = token_rows([7, 77, 20])
    images.numpy().astype("<f4").tofile(os.path.join(check_dir, "image.f32"))
    tokens.numpy().astype("<i8").tofile(os.path.join(check_dir, "tokens.i64"))
    with torch.no_grad():
        ref_image = model.encode_image(images)
        ref_text = model.encode_text(tokens)
    proc = subprocess.run([node, os.path.join(HERE, "ort_clip.mjs"), "--models", out_dir, "--check", check_dir],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        if "onnxruntime-node" in proc.stderr and ("Cannot find" in proc.stderr or "ERR_MODULE_NOT_FOUND" in proc.stderr):
            return skip("onnxruntime-node not installed (npm install --prefix bench --ignore-scripts)")
        sys.stderr.write(proc.stderr)
        raise SystemExit("export_onnx: ORT check run failed")
    got = json.loads(proc.stdout)
    ort_image = torch.tensor(got["image"]).reshape(3, -1)
    ort_text = torch.tensor(got["text"]).reshape(3, -1)
    image_cos, text_cos = cosines(ref_image, ort_image), cosines(ref_text, ort_text)
    worst = min(image_cos + text_cos)
    print(f"export_onnx: ORT {got['ort']} vs PyTorch {torch.__version__}: image cosine "
          f"{', '.join(f'{c:.7f}' for c in image_cos)}; text (7/77/20 tokens) cosine "
          f"{', '.join(f'{c:.7f}' for c in text_cos)}; max |diff| image "
          f"{(ref_image - ort_image).abs().max().item():.2e}, text {(ref_text - ort_text).abs().max().item():.2e}",
          file=sys.stderr)
    if worst < MIN_COSINE:
        raise SystemExit(f"export_onnx: ORT and PyTorch disagree (worst cosine {worst:.7f} < {MIN_COSINE})")
    return True


def skip(why):
    print(f"export_onnx: ORT check skipped: {why}", file=sys.stderr)
    return False


def stamp():
    """What the exported files depend on: the model code, this exporter and the torch version."""
    h = hashlib.sha256(torch.__version__.encode())
    for name in ("pytorch_clip.py", "export_onnx.py"):
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir", help="build folder for the .onnx files, e.g. build/bench")
    p.add_argument("--force", action="store_true", help="re-export even if the files exist")
    p.add_argument("--require-check", action="store_true", help="fail if the ORT check cannot run")
    args = p.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    image_path = os.path.join(args.out_dir, "clip_image.onnx")
    text_path = os.path.join(args.out_dir, "clip_text.onnx")
    stamp_path = os.path.join(args.out_dir, "clip_onnx.stamp")
    want = stamp()
    have = open(stamp_path).read().strip() if os.path.exists(stamp_path) else ""
    if not args.force and have == want and os.path.exists(image_path) and os.path.exists(text_path):
        print(f"export_onnx: {image_path} and {text_path} are up to date and were checked against "
              "ORT (--force re-exports)", file=sys.stderr)
        return 0
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    t0 = time.perf_counter()
    torch.manual_seed(0)  # as pytorch_clip.py's main: the same random weights
    model = Clip().eval()
    with torch.no_grad():
        export(ImageEncoder(model).eval(), torch.randn(2, 3, 224, 224), image_path + ".tmp", "image")
        export(TextEncoder(model).eval(), token_rows([7, 77]), text_path + ".tmp", "tokens")
    os.replace(image_path + ".tmp", image_path)
    os.replace(text_path + ".tmp", text_path)
    print(f"export_onnx: wrote {image_path}, {text_path} (opset {OPSET}, "
          f"{time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    if not check(args.out_dir, model):
        return 1 if args.require_check else 0
    with open(stamp_path, "w") as f:  # only a checked export counts as up to date
        f.write(want + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
