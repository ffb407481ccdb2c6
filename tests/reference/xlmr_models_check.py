#!/usr/bin/python3
"""Independent check of the fixtures xlmr_models.py writes: reloads each model from its
stored files only (own safetensors reader, torch.load for the .bin files), runs a
from-scratch functional implementation of the networks (no open_clip, cn_clip or
transformers code: ViT with class token, exact GELU, LayerNorm eps 1e-5; XLM-R BERT
with RoBERTa position ids, pad keys masked with -inf, mean pooling) on the stored
pixels/*.f32 and expected.json's token rows, and compares with expected.json; the
token rows are also compared with ../token_goldens.jsonl.
The position ids and the attention mask are recomputed from the rows here.

Usage: /usr/bin/python3 tests/reference/xlmr_models_check.py [OUT_DIR]   (default tests/data/xlmr/models)
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                                           "xlmr", "models")


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        dt = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}[info["dtype"]]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32) if dt != "<i8" else arr.copy())
    return out


def ln(x, sd, p, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], eps)


def attention(q, k, v, heads, key_mask=None):
    b, n, w = q.shape
    hd = w // heads
    q, k, v = (t.reshape(b, n, heads, hd).transpose(1, 2) for t in (q, k, v))
    s = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if key_mask is not None:
        s = s.masked_fill(~key_mask[:, None, None, :], float("-inf"))
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, w)


def vit(sd, pixels, patch):
    w = sd["visual.conv1.weight"].shape[0]
    x = F.conv2d(pixels, sd["visual.conv1.weight"], stride=patch).flatten(2).transpose(1, 2)
    x = torch.cat([sd["visual.class_embedding"].expand(x.shape[0], 1, w), x], 1) + sd["visual.positional_embedding"]
    x = ln(x, sd, "visual.ln_pre")
    i = 0
    while f"visual.transformer.resblocks.{i}.ln_1.weight" in sd:
        p = f"visual.transformer.resblocks.{i}."
        h = ln(x, sd, p + "ln_1")
        q, k, v = F.linear(h, sd[p + "attn.in_proj_weight"], sd[p + "attn.in_proj_bias"]).chunk(3, -1)
        x = x + F.linear(attention(q, k, v, w // 64), sd[p + "attn.out_proj.weight"], sd[p + "attn.out_proj.bias"])
        h = F.gelu(F.linear(ln(x, sd, p + "ln_2"), sd[p + "mlp.c_fc.weight"], sd[p + "mlp.c_fc.bias"]))
        x = x + F.linear(h, sd[p + "mlp.c_proj.weight"], sd[p + "mlp.c_proj.bias"])
        i += 1
    return ln(x[:, 0], sd, "visual.ln_post") @ sd["visual.proj"]


def xlmr(sd, p, ids):
    mask = ids != 1
    pos = torch.where(mask, mask.long().cumsum(1) + 1, torch.ones_like(ids))
    x = sd[p + "embeddings.word_embeddings.weight"][ids] + sd[p + "embeddings.position_embeddings.weight"][pos] \
        + sd[p + "embeddings.token_type_embeddings.weight"][0]
    x = ln(x, sd, p + "embeddings.LayerNorm")
    heads = x.shape[-1] // 64
    i = 0
    while f"{p}encoder.layer.{i}.output.dense.weight" in sd:
        L = f"{p}encoder.layer.{i}."
        q, k, v = (F.linear(x, sd[L + f"attention.self.{n}.weight"], sd[L + f"attention.self.{n}.bias"])
                   for n in ("query", "key", "value"))
        a = F.linear(attention(q, k, v, heads, mask), sd[L + "attention.output.dense.weight"],
                     sd[L + "attention.output.dense.bias"])
        x = ln(x + a, sd, L + "attention.output.LayerNorm")
        h = F.gelu(F.linear(x, sd[L + "intermediate.dense.weight"], sd[L + "intermediate.dense.bias"]))
        x = ln(x + F.linear(h, sd[L + "output.dense.weight"], sd[L + "output.dense.bias"]), sd, L + "output.LayerNorm")
        i += 1
    m = mask.unsqueeze(-1).float()
    return (x * m).sum(1) / m.sum(1)


def compare(name, got, want, tol):
    want = torch.tensor(want)
    cos = F.cosine_similarity(got, want, dim=-1).min().item()
    err = (got - want).abs().max().item() / want.abs().max().item()
    ok = cos > 1 - 1e-6 and err < tol
    print(f"  {name}: min cos {cos:.9f}, max |diff| / max |want| {err:.2e} {'ok' if ok else 'FAIL'}")
    return ok


def main():
    ok = True
    for key in ("a", "b", "mclip"):
        d = os.path.join(ROOT, key)
        e = json.load(open(os.path.join(d, "expected.json")))
        print(key)
        ids = torch.tensor(e["tokens"])
        if key == "mclip":
            sd = torch.load(os.path.join(d, "pytorch_model.bin"))
            txt = F.linear(xlmr(sd, "transformer.", ids), sd["LinearTransformation.weight"],
                           sd["LinearTransformation.bias"])
            img = torch.tensor(e["image_features"])
            scale = e["logit_scale"]
        else:
            files = os.listdir(d)
            sd = read_safetensors(os.path.join(d, "open_clip_model.safetensors")) \
                if "open_clip_model.safetensors" in files else torch.load(os.path.join(d, "open_clip_pytorch_model.bin"))
            cfg = json.load(open(os.path.join(d, "open_clip_config.json")))["model_cfg"]
            r = cfg["vision_cfg"]["image_size"]
            pixels = torch.stack([torch.from_numpy(np.fromfile(os.path.join(d, "pixels", i + ".f32"), "<f4")
                                                   .reshape(3, r, r)) for i in e["images"]])
            img = vit(sd, pixels, cfg["vision_cfg"]["patch_size"])
            pooled = xlmr(sd, "text.transformer.", ids)
            if "text.proj.weight" in sd:
                txt = F.linear(pooled, sd["text.proj.weight"])
            else:
                txt = F.linear(F.gelu(F.linear(pooled, sd["text.proj.0.weight"])), sd["text.proj.2.weight"])
            scale = sd["logit_scale"].exp().item()
            ok &= compare("image_features", img, e["image_features"], 1e-4)
        ok &= compare("text_features", txt, e["text_features"], 1e-4)
        logits = scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
        ok &= abs(scale - e["logit_scale"]) < 1e-4 * scale
        ok &= compare("logits_per_image", logits, e["logits_per_image"], 1e-4)
        ok &= (logits.softmax(-1) - torch.tensor(e["probs"])).abs().max().item() < 1e-5
    # The token rows are the ones the goldens hold for the same texts (case "model").
    goldens = {}
    for line in open(os.path.join(ROOT, "..", "token_goldens.jsonl"), encoding="utf-8"):
        g = json.loads(line)
        goldens[g["text"]] = g
    for key, field in (("a", "open_clip"), ("b", "open_clip"), ("mclip", "mclip")):
        e = json.load(open(os.path.join(ROOT, key, "expected.json")))
        for text, row in zip(e["texts"], e["tokens"]):
            want = goldens[text][field]
            same = row == want + [1] * (len(row) - len(want))
            ok &= same
            if not same:
                print(f"{key}: token row of {text!r} differs from token_goldens.jsonl FAIL")
    print("all ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
