#!/usr/bin/env python3
"""What the Python binding costs per call: clipkit.Model.embed_texts of one short text and
embed_images of 16 image files, against the C++ calls on the same model (bench/capi_bench
prints those: "C++ Clip::embed_texts (1 text)", "C++ Clip::embed_image_files (16)").
The binding adds argument conversion (str -> UTF-8, path -> bytes), the GIL release and
reacquire, and the NumPy array around the result.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py [MODEL VOCAB] [--reps N]
    build/bench/capi_bench [MODEL VOCAB] [--reps N]

Without MODEL: the shared fixture tiny_quickgelu (a tiny model, where the overhead is the
largest share of a call). Prints min / median / max ms after 3 warm-up calls.
"""

import argparse
import os
import pathlib
import platform
import time

import clipkit

SHARED = pathlib.Path(os.environ.get("CLIPKIT_SHARED_DIR", pathlib.Path(__file__).resolve().parents[1] / ".." / "shared"))
IMAGES = ["CLIP.png", "astronaut.png", "camera.png", "checker_bilevel.png", "chelsea.bmp", "chelsea.png",
          "chelsea.webp", "chelsea_cmyk.jpg", "chelsea_exif3.jpg", "chelsea_gray.jpg", "chelsea_palette_trns.png",
          "chelsea_progressive.jpg", "chelsea_small.png", "coffee.png", "logo.png", "rocket.jpg"]


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def time_it(name, reps, run):
    for _ in range(3):
        run()
    ms = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        ms.append((time.perf_counter() - start) * 1000)
    ms.sort()
    print(f"{name:<40} min {ms[0]:9.4f}  median {ms[len(ms) // 2]:9.4f}  max {ms[-1]:9.4f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", default=str(SHARED / "fixtures/models/tiny_quickgelu/model.jit.pt"))
    parser.add_argument("vocab", nargs="?", default=str(SHARED / "data/clip/bpe_simple_vocab_16e6.txt.gz"))
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    m = clipkit.load(args.model, vocab=args.vocab)
    images = [str(SHARED / "data/images" / name) for name in IMAGES]
    print(f"python_overhead: {cpu_name()}, {clipkit.compute_backend()}, clipkit {clipkit.__version__}, "
          f"Python {platform.python_version()}\nmodel {args.model} ({m.embed_dim}-d), {args.reps} reps")
    time_it("Py  embed_texts (1 text, raw)", args.reps, lambda: m.embed_texts(["a photo of a cat"], raw=True))
    time_it("Py  embed_texts (1 text, unit rows)", args.reps, lambda: m.embed_texts(["a photo of a cat"]))
    time_it("Py  embed_images (16 files, raw)", args.reps // 10 + 1, lambda: m.embed_images(images, raw=True))
    # The binding alone: a call refused in conversion (no model work).
    def refused():
        try:
            m.embed_texts([])
        except clipkit.InvalidArgumentError:
            pass
    time_it("Py  refused call (empty list)", args.reps, refused)


if __name__ == "__main__":
    main()
