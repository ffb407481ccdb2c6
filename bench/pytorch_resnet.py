#!/usr/bin/python3
"""PyTorch timings of the RN50 image tower that bench/make_rn50.py writes: OpenAI's
clip/model.py (build_model on DIR/RN50-random.pt), model.visual in fp32, eval mode, under
torch.inference_mode, torch.set_num_threads(T) (and OMP/OpenBLAS thread counts set before
torch is imported, as bench/pytorch_clip.py). Random N(0, 1) pixels; ms per image, median of
ITERATIONS calls after WARMUP.

Usage: /usr/bin/python3 bench/pytorch_resnet.py OPENAI_CLIP_DIR DIR [--threads 2] [--batch 1]
       [--iterations 10] [--warmup 2]
Prints one JSON object (threads, batch, torch, mkldnn, image_ms, image {median_ms, min_ms, max_ms}).
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("clip_dir", help="holds clip/ (github.com/openai/CLIP)")
    p.add_argument("model_dir", help="from bench/make_rn50.py")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    return p.parse_args()


args = parse_args()
# Debian's torch runs BLAS on OpenBLAS threads that set_num_threads does not control: pin both
# before torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
os.environ["OMP_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402


def load_model():
    spec = importlib.util.spec_from_file_location("openai_clip_model", os.path.join(args.clip_dir, "clip", "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = torch.load(os.path.join(args.model_dir, "RN50-random.pt"), map_location="cpu")
    return module.build_model(state).float().eval()


def main():
    torch.set_num_threads(args.threads)
    visual = load_model().visual
    size = visual.input_resolution
    images = torch.randn(args.batch, 3, size, size, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        for _ in range(args.warmup):
            visual(images)
        ms = []
        for _ in range(args.iterations):
            t0 = time.perf_counter()
            visual(images)
            ms.append((time.perf_counter() - t0) * 1000 / args.batch)
    print(json.dumps({"threads": args.threads, "batch": args.batch, "torch": torch.__version__,
                      "mkldnn": torch.backends.mkldnn.is_available(), "image_ms": statistics.median(ms),
                      "image": {"median_ms": statistics.median(ms), "min_ms": min(ms), "max_ms": max(ms)}}))


if __name__ == "__main__":
    sys.exit(main())
