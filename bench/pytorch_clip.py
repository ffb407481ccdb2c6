#!/usr/bin/python3
"""PyTorch reference timings for a CLIP ViT with OpenAI's architecture.

The model follows OpenAI's clip/model.py layout (pre-LN residual attention blocks
with nn.MultiheadAttention, QuickGELU, class token, ln_post + proj; causal text
tower read at the EOT position) with random weights of ViT-B/32's dimensions.
As OpenAI's encode_text, it always runs the full 77-token context.

Run with Debian's interpreter: /usr/bin/python3 bench/pytorch_clip.py --threads 2
Prints one JSON object.
"""
import argparse
import json
import os
import statistics
import sys
import time


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    return p.parse_args()


if __name__ == "__main__":
    args = parse_args()
    # Debian's torch runs its matmuls on OpenBLAS threads that set_num_threads does
    # not control: pin both before torch is imported.
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, width * 4), QuickGELU(), nn.Linear(width * 4, width))
        self.ln_2 = nn.LayerNorm(width)
        self.mask = mask

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class Clip(nn.Module):
    def __init__(self, embed=512, res=224, patch=32, vwidth=768, vlayers=12, twidth=512, tlayers=12,
                 context=77, vocab=49408):
        super().__init__()
        grid = res // patch
        self.conv1 = nn.Conv2d(3, vwidth, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(vwidth) * 0.02)
        self.vpos = nn.Parameter(torch.randn(grid * grid + 1, vwidth) * 0.02)
        self.ln_pre = nn.LayerNorm(vwidth)
        self.vblocks = nn.Sequential(*[Block(vwidth, vwidth // 64) for _ in range(vlayers)])
        self.ln_post = nn.LayerNorm(vwidth)
        self.proj = nn.Parameter(torch.randn(vwidth, embed) * vwidth ** -0.5)
        mask = torch.full((context, context), float("-inf")).triu_(1)
        self.token_embedding = nn.Embedding(vocab, twidth)
        self.tpos = nn.Parameter(torch.randn(context, twidth) * 0.01)
        self.tblocks = nn.Sequential(*[Block(twidth, twidth // 64, mask) for _ in range(tlayers)])
        self.ln_final = nn.LayerNorm(twidth)
        self.text_projection = nn.Parameter(torch.randn(twidth, embed) * twidth ** -0.5)

    def encode_image(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.vpos)
        x = self.vblocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj

    def encode_text(self, text):
        x = self.token_embedding(text) + self.tpos
        x = self.tblocks(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


def time_it(fn, items):
    for _ in range(args.warmup):
        fn()
    ms = []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000 / items)
    return statistics.median(ms)


# This module's parameter names → OpenAI's clip/model.py names (prefix, then infix).
PREFIXES = {"conv1.": "visual.conv1.", "class_embedding": "visual.class_embedding",
            "vpos": "visual.positional_embedding", "ln_pre.": "visual.ln_pre.",
            "vblocks.": "visual.transformer.resblocks.", "ln_post.": "visual.ln_post.", "proj": "visual.proj",
            "tblocks.": "transformer.resblocks.", "tpos": "positional_embedding"}
INFIXES = {".mlp.0.": ".mlp.c_fc.", ".mlp.2.": ".mlp.c_proj."}


def openai_state_dict(model):
    """The model's weights under OpenAI's names, as torch.save(model.state_dict()) of clip/model.py."""
    out = {}
    for name, value in model.state_dict().items():
        for old, new in PREFIXES.items():
            if name.startswith(old):
                name = new + name[len(old):]
                break
        for old, new in INFIXES.items():
            name = name.replace(old, new)
        out[name] = value
    out["logit_scale"] = torch.tensor(4.6052)
    return out


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Clip().eval()
    b = args.batch
    images = torch.randn(b, 3, 224, 224)
    out = {"threads": args.threads, "batch": b, "torch": torch.__version__,
           "blas": "OpenBLAS (Debian)"}
    with torch.no_grad():
        out["image_ms"] = time_it(lambda: model.encode_image(images), b)
        for length in (7, 77):
            row = [49406] + [320 + i for i in range(1, length - 1)] + [49407]
            tokens = torch.tensor([row + [0] * (77 - length)] * b)
            out[f"text_{length}_ms"] = time_it(lambda: model.encode_text(tokens), b)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
