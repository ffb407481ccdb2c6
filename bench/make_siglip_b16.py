#!/usr/bin/python3
"""Builds open_clip's ViT-B-16-SigLIP with random weights (open_clip v2.24.0, timm v0.9.16,
Debian's python3-torch 1.13) and writes what the SigLIP speed comparison needs:

  OUT/open_clip_config.json       model_cfg (open_clip's ViT-B-16-SigLIP.json) + preprocess_cfg
  OUT/open_clip_model.safetensors the state dict, F32 (for `clipkit bench --model OUT`)
  OUT/onnx/siglip_image.onnx      input "image"  float32 [B,3,224,224] → "embedding" [B,768]
  OUT/onnx/siglip_text.onnx       input "tokens" int64   [B,64]        → "embedding" [B,768]
  OUT/check/image.f32, tokens.i64 3 random images and 3 token rows (raw little-endian)
  OUT/check/expected.json         PyTorch's encode_image / encode_text of those (not normalized)

The graphs are open_clip's own encode_image / encode_text (timm tower with the MAP head; text
tower with no mask, pooled at the last of the 64 positions), exported with torch.onnx at
opset 14 (as bench/export_onnx.py). Batch is dynamic. No tokenizer is written: the benchmark
feeds token ids. Weights and ONNX files are large (~0.8 GB each set): write them outside the
repository and never commit them.

Usage:
  /usr/bin/python3 bench/make_siglip_b16.py OPEN_CLIP_SRC TIMM_SRC FTFY_SRC OUT
    OPEN_CLIP_SRC  git --git-dir=<open_clip> archive v2.24.0 src | tar -x  → …/src
    TIMM_SRC       git --git-dir=<pytorch-image-models> archive v0.9.16 timm | tar -x → parent of timm/
    FTFY_SRC       parent of ftfy/ (open_clip's tokenizer module imports it)
  e.g. /usr/bin/python3 bench/make_siglip_b16.py /tmp/oc/src /tmp/timm /tmp/ftfy /tmp/siglip-b16
Then bench/ort_siglip.mjs --check and `clipkit bench --model OUT --check OUT/check` give the
two peers' embeddings of the check inputs (bench/siglip_check.py compares all three).
"""
import json
import os
import struct
import sys
import time

OPEN_CLIP, TIMM, FTFY, OUT = sys.argv[1:5]
sys.path[:0] = [OPEN_CLIP, TIMM, FTFY]

import torch  # noqa: E402
from torch import nn  # noqa: E402

import open_clip  # noqa: E402
from open_clip.version import __version__ as OPEN_CLIP_VERSION  # noqa: E402

OPSET = 14
NAME = "ViT-B-16-SigLIP"


class ImageEncoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image):
        return self.model.encode_image(image)


class TextEncoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, tokens):
        return self.model.encode_text(tokens)


def write_safetensors(path, tensors):
    """F32 safetensors (there is no python safetensors package here; the format is a
    little-endian u64 header length, a JSON header, then the raw tensors)."""
    header, offset = {}, 0
    for name, t in tensors.items():
        n = t.numel() * (8 if t.dtype == torch.int64 else 4)
        header[name] = {"dtype": "I64" if t.dtype == torch.int64 else "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + n]}
        offset += n
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for t in tensors.values():
            t = t.detach().contiguous()
            f.write((t if t.dtype == torch.int64 else t.float()).numpy().tobytes())
    os.replace(path + ".tmp", path)


def export(module, example, path, input_name):
    torch.onnx.export(module, (example,), path + ".tmp", opset_version=OPSET, do_constant_folding=True,
                      input_names=[input_name], output_names=["embedding"],
                      dynamic_axes={input_name: {0: "batch"}, "embedding": {0: "batch"}})
    os.replace(path + ".tmp", path)


def main():
    t0 = time.perf_counter()
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "check"), exist_ok=True)
    torch.manual_seed(0)
    model = open_clip.create_model(NAME).eval()
    cfg = open_clip.get_model_config(NAME)
    # The hub folder's preprocess_cfg (open_clip's pretrained.py _slpcfg for "webli").
    pp = open_clip.pretrained.get_pretrained_cfg(NAME, "webli")
    with open(os.path.join(OUT, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": cfg, "preprocess_cfg": {"mean": list(pp["mean"]), "std": list(pp["std"]),
                                                        "interpolation": pp["interpolation"],
                                                        "resize_mode": pp["resize_mode"]}}, f, indent=2)
    sd = model.state_dict()
    write_safetensors(os.path.join(OUT, "open_clip_model.safetensors"), sd)
    params = sum(p.numel() for p in model.parameters())
    print(f"make_siglip_b16: {NAME}, {params / 1e6:.1f} M parameters, open_clip {OPEN_CLIP_VERSION}, "
          f"torch {torch.__version__}", file=sys.stderr)

    ctx, vocab, size = cfg["text_cfg"]["context_length"], cfg["text_cfg"]["vocab_size"], cfg["vision_cfg"]["image_size"]
    gen = torch.Generator().manual_seed(1)
    images = torch.randn(3, 3, size, size, generator=gen)
    # Three rows as the v1 tokenizer lays them out (ids, EOS 1, pad 1 to 64) and one full row.
    rows = []
    for length in (7, 64, 20):
        ids = torch.randint(2, vocab, (length - 1,), generator=gen).tolist() + [1]
        rows.append(ids + [1] * (ctx - length))
    tokens = torch.tensor(rows, dtype=torch.int64)
    images.numpy().astype("<f4").tofile(os.path.join(OUT, "check", "image.f32"))
    tokens.numpy().astype("<i8").tofile(os.path.join(OUT, "check", "tokens.i64"))
    with torch.no_grad():
        expected = {"image": model.encode_image(images).flatten().tolist(),
                    "text": model.encode_text(tokens).flatten().tolist()}
        with open(os.path.join(OUT, "check", "expected.json"), "w") as f:
            json.dump(dict(expected, torch=torch.__version__, open_clip=OPEN_CLIP_VERSION), f)
        export(ImageEncoder(model).eval(), torch.randn(2, 3, size, size),
               os.path.join(OUT, "onnx", "siglip_image.onnx"), "image")
        export(TextEncoder(model).eval(), tokens[:2], os.path.join(OUT, "onnx", "siglip_text.onnx"), "tokens")
    print(f"make_siglip_b16: wrote {OUT} (safetensors, ONNX opset {OPSET}, check inputs) in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
