#!/usr/bin/python3
"""Writes the expected pixels of the preprocessing transforms SigLIP (and CLIP)
checkpoints declare, from the reference code — never from clipkit's C++:

  torchvision order  open_clip v2.24.0's own `image_transform` (src/open_clip/transform.py:
                     Resize / ResizeKeepRatio / CenterCrop / CenterCropOrPad, then
                     convert("RGB")), run with Debian's Pillow 9.4 + torchvision 0.14.
  transformers order transformers' SiglipImageProcessor / CLIPImageProcessor, which is not
                     installed here: the steps are mirrored line for line below from
                     src/transformers/models/siglip/image_processing_siglip.py (preprocess),
                     models/clip/image_processing_clip.py (resize, preprocess) and
                     image_transforms.py (convert_to_rgb, resize, center_crop, rescale,
                     normalize), all of which call the same Pillow.

Usage: /usr/bin/python3 tests/reference/siglip_preprocess.py OPEN_CLIP_SRC IMAGES_DIR OUT_DIR
  OPEN_CLIP_SRC  the `src` folder of open_clip v2.24.0, e.g.
                 git --git-dir=<open_clip mirror> archive v2.24.0 src | tar -x
  IMAGES_DIR     ../shared/data/images (read, never copied)
  OUT_DIR        tests/data/siglip-preprocess

Writes to OUT_DIR:
  index.json           one entry per case: image, order, resize_mode, interpolation, size
                       (+ resize_size), and either "pixels" (a file of size*size*3 bytes: the
                       uint8 HWC RGB image before ToTensor / rescale) or "error" (the
                       reference raised); "tensor" where the float32 CHW output is also kept.
  *.rgb                those pixels.
  *.npy                float32 CHW tensors (open_clip's full transform; the transformers
                       rescale + normalize arithmetic).
  resample_cases.json  Image.resize of tiny random images (numpy RandomState(7)) in every
                       mode with BILINEAR and BICUBIC, up and down: input and output bytes
                       in hex ("1" as 0/255 bytes).
Images are opened with Image.open, no EXIF transpose (as the references do).
"""
import importlib
import json
import os
import sys
import types

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image
from torchvision.transforms import Normalize, ToTensor

SIGLIP_MEAN = (0.5, 0.5, 0.5)  # open_clip INCEPTION_MEAN/STD, transformers IMAGENET_STANDARD_*


def import_open_clip_transform(src):
    """open_clip.transform without the package __init__ (which pulls in the models,
    tokenizers and their dependencies): a bare package whose path is OPEN_CLIP_SRC/open_clip,
    so transform.py's relative imports (.constants, .utils) load from that checkout."""
    package = types.ModuleType("open_clip")
    package.__path__ = [os.path.join(src, "open_clip")]
    sys.modules["open_clip"] = package
    transform = importlib.import_module("open_clip.transform")
    version = open(os.path.join(src, "open_clip", "version.py")).read().split("'")[1]
    return transform, version


def open_clip_pixels(transform_module, img, size, resize_mode, interpolation, mean=None, std=None):
    """Runs image_transform(...)'s Compose up to (not including) ToTensor: the 8-bit RGB
    image. Returns (uint8 HWC array, the full float output of the whole Compose)."""
    compose = transform_module.image_transform(size, is_train=False, mean=mean, std=std,
                                               resize_mode=resize_mode, interpolation=interpolation)
    x = img
    steps = compose.transforms
    cut = next(i for i, t in enumerate(steps) if isinstance(t, ToTensor))
    for t in steps[:cut]:
        x = t(x)
    assert x.mode == "RGB" and x.size == (size, size), (x.mode, x.size)
    return np.asarray(x, dtype=np.uint8), compose(img).numpy()


# --- transformers, mirrored (the lines each step copies are named) -------------------

def hf_convert_to_rgb(image):
    # image_transforms.convert_to_rgb:
    #     if image.mode == "RGB": return image
    #     image = image.convert("RGB")
    if image.mode == "RGB":
        return image
    return image.convert("RGB")


def hf_resize(image, size, resample):
    # image_transforms.resize: to_pil_image(...) of a uint8 HWC array is
    # PIL.Image.fromarray(image); then
    #     resized_image = image.resize((width, height), resample=resample, reducing_gap=reducing_gap)
    #     resized_image = np.array(resized_image)
    height, width = size
    pil = Image.fromarray(image)
    return np.array(pil.resize((width, height), resample=resample, reducing_gap=None))


def hf_shortest_edge_size(image, size):
    # image_transforms.get_resize_output_image_size(default_to_square=False), no max_size:
    #     short, long = (width, height) if width <= height else (height, width)
    #     new_short, new_long = requested_new_short, int(requested_new_short * long / short)
    #     return (new_long, new_short) if width <= height else (new_short, new_long)
    height, width = image.shape[:2]
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    return (new_long, new_short) if width <= height else (new_short, new_long)


def hf_center_crop(image, size):
    # image_transforms.center_crop (the image is never smaller than the crop here):
    #     top = (orig_height - crop_height) // 2 ; left = (orig_width - crop_width) // 2
    orig_height, orig_width = image.shape[:2]
    crop_height, crop_width = size
    top = (orig_height - crop_height) // 2
    left = (orig_width - crop_width) // 2
    assert top >= 0 and left >= 0
    return image[top:top + crop_height, left:left + crop_width]


def hf_rescale(image, scale):
    # image_transforms.rescale:
    #     rescaled_image = image.astype(np.float64) * scale
    #     rescaled_image = rescaled_image.astype(dtype)   # np.float32
    return (image.astype(np.float64) * scale).astype(np.float32)


def hf_normalize(image, mean, std):
    # image_transforms.normalize (channels last):
    #     mean = np.array(mean, dtype=image.dtype); std = np.array(std, dtype=image.dtype)
    #     image = (image - mean) / std
    mean = np.array(mean, dtype=image.dtype)
    std = np.array(std, dtype=image.dtype)
    return (image - mean) / std


def hf_pixels(img, size, resample, shortest_edge=None):
    """SiglipImageProcessor.preprocess (size {"height", "width"}: convert_to_rgb,
    to_numpy_array, resize) or, with shortest_edge, CLIPImageProcessor.preprocess
    (convert_to_rgb, to_numpy_array, self.resize with {"shortest_edge"}, center_crop
    with crop_size {"height": size, "width": size}). Returns uint8 HWC."""
    image = np.array(hf_convert_to_rgb(img))  # image_utils.to_numpy_array: np.array(img)
    if shortest_edge is None:
        image = hf_resize(image, (size, size), resample)
    else:
        image = hf_resize(image, hf_shortest_edge_size(image, shortest_edge), resample)
        image = hf_center_crop(image, (size, size))
    assert image.dtype == np.uint8 and image.shape == (size, size, 3), image.shape
    return image


def hf_tensor(pixels, rescale_factor, mean, std):
    # preprocess: rescale, normalize, then to_channel_dimension_format(FIRST).
    return np.ascontiguousarray(hf_normalize(hf_rescale(pixels, rescale_factor), mean, std).transpose(2, 0, 1))


# --- the cases ---------------------------------------------------------------------------

IMAGES = [
    "rocket.jpg",                # RGB baseline JPEG, 640x427
    "chelsea_palette_trns.png",  # P with tRNS (index 0 transparent)
    "CLIP.png",                  # RGBA, very wide (2162x762)
    "chelsea_gray.jpg",          # L JPEG
    "chelsea_sliver.png",        # RGB, very tall (3x300)
    "chelsea_cmyk.jpg",          # CMYK JPEG
    "checker_bilevel.png",       # "1", 10x10, upscaled
]
SIZE = 48
RESAMPLE = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def resample_cases():
    rng = np.random.RandomState(7)
    cases = []
    shapes = [((5, 3), (2, 2)), ((7, 5), (3, 9)), ((4, 4), (3, 2)), ((5, 2), (3, 3)), ((3, 3), (2, 2)),
              ((6, 1), (13, 1)), ((9, 7), (4, 11)), ((2, 5), (7, 1))]
    for mode, bands in [("L", 1), ("RGB", 3), ("RGBA", 4), ("LA", 2), ("CMYK", 4), ("P", 1), ("1", 1)]:
        for (w, h), (ow, oh) in shapes:
            data = rng.randint(0, 256, size=w * h * bands).astype(np.uint8)
            if mode == "1":
                data = np.where(data >= 128, 255, 0).astype(np.uint8)
                im = Image.frombytes("L", (w, h), data.tobytes()).convert("1", dither=Image.NONE)
            else:
                im = Image.frombytes(mode, (w, h), data.tobytes())
            for name, resample in RESAMPLE.items():
                out = im.resize((ow, oh), resample)
                out_bytes = out.convert("L").tobytes() if mode == "1" else out.tobytes()
                cases.append({"mode": mode, "filter": name, "size": [w, h], "out_size": [ow, oh],
                              "input": data.tobytes().hex(), "expected": out_bytes.hex()})
    return cases


def main():
    src, images_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
    transform, open_clip_version = import_open_clip_transform(src)
    os.makedirs(out, exist_ok=True)
    entries = []

    def add(entry, pixels=None, error=None, tensor=None):
        stem = os.path.splitext(entry["image"])[0]
        base = f"{stem}.{entry['order']}.{entry['resize_mode']}.{entry['interpolation']}.{entry['size']}"
        if "resize_size" in entry:
            base += f".from{entry['resize_size']}"
        if error is not None:
            entry["error"] = error
        else:
            open(os.path.join(out, base + ".rgb"), "wb").write(pixels.tobytes())
            entry["pixels"] = base + ".rgb"
        if tensor is not None:
            np.save(os.path.join(out, base + ".npy"), tensor.astype(np.float32))
            entry["tensor"] = base + ".npy"
        entries.append(entry)

    def open_image(name):
        img = Image.open(os.path.join(images_dir, name))
        img.load()
        return img

    # torchvision order: open_clip's image_transform, every image x filter x resize mode.
    for name in IMAGES:
        for interpolation in RESAMPLE:
            for resize_mode in ["squash", "shortest", "longest"]:
                entry = {"image": name, "mode": open_image(name).mode, "order": "torchvision",
                         "resize_mode": resize_mode, "interpolation": interpolation, "size": SIZE}
                try:
                    pixels, _ = open_clip_pixels(transform, open_image(name), SIZE, resize_mode, interpolation)
                    add(entry, pixels=pixels)
                except Exception as e:  # the reference refuses it: clipkit must too
                    add(entry, error=f"{type(e).__name__}: {e}")
    # A tall strip that keeps a 1-pixel side under longest (at 48 it rounds to 0 above).
    entry = {"image": "chelsea_sliver.png", "mode": "RGB", "order": "torchvision", "resize_mode": "longest",
             "interpolation": "bicubic", "size": 64}
    add(entry, pixels=open_clip_pixels(transform, open_image("chelsea_sliver.png"), 64, "longest", "bicubic")[0])
    # Float checks: open_clip's whole transform (ToTensor + Normalize with SigLIP's 0.5).
    for name, resize_mode, interpolation in [("chelsea_palette_trns.png", "squash", "bilinear"),
                                             ("chelsea_cmyk.jpg", "longest", "bicubic")]:
        pixels, tensor = open_clip_pixels(transform, open_image(name), SIZE, resize_mode, interpolation,
                                          mean=SIGLIP_MEAN, std=SIGLIP_MEAN)
        entry = {"image": name, "mode": open_image(name).mode, "order": "torchvision", "resize_mode": resize_mode,
                 "interpolation": interpolation, "size": SIZE, "mean": list(SIGLIP_MEAN), "std": list(SIGLIP_MEAN),
                 "float": True}
        add(entry, pixels=pixels, tensor=tensor)

    # transformers order: SiglipImageProcessor (squash) with resample 2 and 3.
    for name in IMAGES:
        for interpolation, resample in RESAMPLE.items():
            entry = {"image": name, "mode": open_image(name).mode, "order": "transformers",
                     "resize_mode": "squash", "interpolation": interpolation, "size": SIZE}
            add(entry, pixels=hf_pixels(open_image(name), SIZE, resample))
    # CLIPImageProcessor: shortest_edge + crop; rocket at 64 is 95x64, where the floor
    # offset (15) and torchvision's round-half-even (16) differ.
    for name, size, shortest_edge in [("rocket.jpg", 64, 64), ("chelsea_palette_trns.png", 48, 56),
                                      ("CLIP.png", 48, 48)]:
        entry = {"image": name, "mode": open_image(name).mode, "order": "transformers", "resize_mode": "shortest",
                 "interpolation": "bicubic", "size": size}
        if shortest_edge != size:
            entry["resize_size"] = shortest_edge
        add(entry, pixels=hf_pixels(open_image(name), size, Image.BICUBIC, shortest_edge=shortest_edge))
    # Float check of the transformers arithmetic (float64 rescale, float32 normalize).
    pixels = hf_pixels(open_image("rocket.jpg"), SIZE, Image.BICUBIC)
    entry = {"image": "rocket.jpg", "mode": "RGB", "order": "transformers", "resize_mode": "squash",
             "interpolation": "bicubic", "size": SIZE, "mean": list(SIGLIP_MEAN), "std": list(SIGLIP_MEAN),
             "rescale_factor": 1 / 255, "float": True}
    add(entry, pixels=pixels, tensor=hf_tensor(pixels, 1 / 255, SIGLIP_MEAN, SIGLIP_MEAN))

    index = {"made_by": "tests/reference/siglip_preprocess.py",
             "versions": {"open_clip": open_clip_version, "Pillow": PIL.__version__,
                          "torchvision": torchvision.__version__, "torch": torch.__version__,
                          "numpy": np.__version__},
             "cases": entries}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    with open(os.path.join(out, "resample_cases.json"), "w") as f:
        json.dump({"made_by": "tests/reference/siglip_preprocess.py", "Pillow": PIL.__version__,
                   "cases": resample_cases()}, f, indent=0)
    print(f"{len(entries)} preprocess cases, {sum('error' in e for e in entries)} refused by the reference")


if __name__ == "__main__":
    main()
