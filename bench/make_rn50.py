#!/usr/bin/python3
"""Builds OpenAI's RN50 CLIP (clip/model.py CLIP with a ModifiedResNet image tower) with random
weights on Debian's python3-torch 1.13 and writes what the ResNet speed comparison needs:

  OUT/RN50-random.pt          torch.save(model.state_dict()), fp32 (for `clipkit bench --model`)
  OUT/onnx/visual.onnx        model.visual: input "image" float32 [B,3,224,224] → "embedding" [B,1024]
  OUT/check/image.f32         2 random images, 2×3×224×224 (raw little-endian float32)
  OUT/check/tokens.i64        3 token rows of 77 (SOT 49406, ids, EOT 49407, zero padding)
  OUT/check/expected.json     PyTorch's encode_image / encode_text of those (not normalized)

RN50's dimensions (OpenAI's RN50.pt as build_model reads it): embed 1024, image 224,
vision_layers (3, 4, 6, 3), vision_width 64 (attention pool: 2048 wide, 32 heads, 7×7 grid),
context 77, vocabulary 49408, text width 512, 8 heads, 12 layers; 102.0 M parameters.

Random weights (torch.manual_seed(0) builds the model; then a Generator seeded 50), as
tests/reference/resnet_models.py does for its fixtures: every matrix / convolution kernel
std 1/sqrt(fan_in), token_embedding std 1, positional embeddings std 0.5, text_projection
std 1/sqrt(rows); every BatchNorm weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~
N(0, 0.2), running_var ~ U(0.5, 2.0) (OpenAI's initialize_parameters zero-inits each bn3.weight,
which would make every bottleneck an identity and BatchNorm folding untested); every other 1-D
parameter (biases, LayerNorms) perturbed by N(0, 0.2). No bf16 rounding (unlike the fixtures).

The ONNX graph is model.visual itself (CLIP.encode_image is model.visual(image)), eval mode,
exported with torch.onnx at opset 14 (as bench/export_onnx.py), batch dynamic. The files
(~0.4 GB of weights, ~0.15 GB ONNX) belong outside the repository.

Usage:
  mkdir -p /tmp/openai-clip && git --git-dir=<openai/CLIP clone> archive HEAD clip | tar -x -C /tmp/openai-clip
  /usr/bin/python3 bench/make_rn50.py /tmp/openai-clip /tmp/rn50
Then bench/resnet_check.py /tmp/rn50 compares PyTorch, ORT and clipkit on the check inputs.
"""
import json
import math
import os
import sys
import time

CLIP_DIR, OUT = sys.argv[1:3]

import importlib.util  # noqa: E402

import torch  # noqa: E402

# clip/model.py alone (the package's __init__ imports clip.py, which needs packaging, ftfy and
# torchvision; model.py needs only torch and numpy).
_spec = importlib.util.spec_from_file_location("openai_clip_model", os.path.join(CLIP_DIR, "clip", "model.py"))
openai_clip_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(openai_clip_model)
CLIP = openai_clip_model.CLIP

OPSET = 14
CONFIG = dict(embed_dim=1024, image_resolution=224, vision_layers=(3, 4, 6, 3), vision_width=64,
              vision_patch_size=None, context_length=77, vocab_size=49408,
              transformer_width=512, transformer_heads=8, transformer_layers=12)
SEED = 50
TOKEN_LENGTHS = [7, 77, 20]  # SOT + ids + EOT


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        bn = {name for name, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
        for name, m in model.named_modules():
            if name in bn:
                m.weight.copy_(0.5 + torch.rand(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(m.running_var.shape, generator=g))
        for name, p in model.named_parameters():
            if name.rsplit(".", 1)[0] in bn or name == "logit_scale":
                continue
            if name == "token_embedding.weight":
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("positional_embedding"):
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            elif name == "text_projection":
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[0]))
            elif p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p[0].numel()))
            else:
                p.add_(0.2 * torch.randn(p.shape, generator=g))


def token_rows(lengths, gen):
    rows = []
    for n in lengths:
        ids = torch.randint(1, 49406, (n - 2,), generator=gen).tolist()
        rows.append([49406] + ids + [49407] + [0] * (CONFIG["context_length"] - n))
    return torch.tensor(rows, dtype=torch.int64)


def main():
    t0 = time.perf_counter()
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "check"), exist_ok=True)
    torch.manual_seed(0)
    model = CLIP(**CONFIG).float().eval()
    randomize(model, SEED)
    path = os.path.join(OUT, "RN50-random.pt")
    torch.save(model.state_dict(), path + ".tmp")
    os.replace(path + ".tmp", path)
    params = sum(p.numel() for p in model.parameters())
    print(f"make_rn50: RN50, {params / 1e6:.1f} M parameters, torch {torch.__version__}", file=sys.stderr)

    gen = torch.Generator().manual_seed(1)
    size = CONFIG["image_resolution"]
    images = torch.randn(2, 3, size, size, generator=gen)
    tokens = token_rows(TOKEN_LENGTHS, gen)
    images.numpy().astype("<f4").tofile(os.path.join(OUT, "check", "image.f32"))
    tokens.numpy().astype("<i8").tofile(os.path.join(OUT, "check", "tokens.i64"))
    with torch.no_grad():
        expected = {"image": model.encode_image(images).flatten().tolist(),
                    "text": model.encode_text(tokens).flatten().tolist(),
                    "embed": CONFIG["embed_dim"], "torch": torch.__version__, "model": "RN50 (random)"}
        with open(os.path.join(OUT, "check", "expected.json"), "w") as f:
            json.dump(expected, f)
        onnx = os.path.join(OUT, "onnx", "visual.onnx")
        torch.onnx.export(model.visual, (torch.randn(2, 3, size, size),), onnx + ".tmp", opset_version=OPSET,
                          do_constant_folding=True, input_names=["image"], output_names=["embedding"],
                          dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}})
        os.replace(onnx + ".tmp", onnx)
    print(f"make_rn50: wrote {OUT} (state dict, ONNX opset {OPSET} image tower, check inputs) in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
