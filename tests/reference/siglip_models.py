#!/usr/bin/python3
"""Makes clipkit's SigLIP model fixtures with the reference code: open_clip v2.24.0 and
timm v0.9.16 on Debian's python3-torch 1.13 (and ftfy 6.3.1, which open_clip's
tokenizer clean-up imports).

Usage:
  tests/reference/siglip_models.py OPEN_CLIP_SRC TIMM_SRC FTFY_SRC SHARED_DIR OUT_DIR
    OPEN_CLIP_SRC  git --git-dir=<open_clip> archive v2.24.0 src | tar -x  → …/src
    TIMM_SRC       git --git-dir=<pytorch-image-models> archive v0.9.16 timm | tar -x → parent of timm/
    FTFY_SRC       git --git-dir=<python-ftfy> archive v6.3.1 ftfy | tar -x → parent of ftfy/
    SHARED_DIR     ../shared (images are read from SHARED_DIR/data/images)
    OUT_DIR        tests/data/siglip/models

Three random-weight models with odd dimensions (head size != 64, non-integer MLP
ratios). 1-D parameters are perturbed away from their init so a loader that swaps or
drops one cannot pass; every value is bf16-exact so BF16 files carry the same numbers.

  a  vision: timm ViT (no class token, MAP head), 48 px, patch 16, width 96, 4 heads of 24,
     MLP ratio 2.6 (249), 2 blocks, exact GELU. text: width 64, 2 heads, MLP 3.3 (211),
     2 blocks, exact GELU, context 64, unigram.model (T5 layout, 700 pieces).
     Files: open_clip/ (open_clip_config.json + open_clip_model.safetensors, BF16) and
     hf/ (config.json, hidden_act "gelu", model.safetensors F32, preprocessor_config.json,
     spiece.model). Preprocess: squash, bicubic (open_clip) / resample 3 (HF).
  b  tanh GELU everywhere (vision blocks, MAP-head MLP, text): the Hugging Face
     SiglipModel math with hidden_act "gelu_pytorch_tanh". 64 px, patch 16, width 72,
     3 heads of 24, MLP 3.7 (266), 2 blocks; text width 48, 3 heads of 16, MLP 2.5 (120),
     2 blocks; gemma_bpe.model (SigLIP 2 layout, 900 pieces). Files: hf/ only (F32,
     tokenizer.model, preprocessor resample 2 = bilinear); BF16.
     open_clip/timm cannot express this (timm 0.9.16's MAP head MLP is always exact
     GELU), so the reference is the same open_clip/timm modules with the activations
     set: the ViT built with act_layer="gelu_tanh" and the MAP head's mlp.act replaced
     by nn.GELU(approximate="tanh"), which is what modeling_siglip computes.
  c  as open_clip's SigLIP 2 configs: timm vision tower with exact GELU, text with
     act_kwargs {"approximate": "tanh"}; 64 px, patch 16, width 80, 5 heads of 16,
     MLP 2.25 (180), 1 block; text width 56, 4 heads of 14, MLP 3.0, 2 blocks;
     gemma_bpe.model; open_clip/ with open_clip_pytorch_model.bin (torch.save, F32).
     Preprocess: squash, bilinear.
  d  an image size the patch does not divide (as SO400M/14 at 384 px: 27 patches of 14
     cover 378 of 384 pixels; the conv drops the rest): 40 px, patch 16 (2×2 patches),
     width 32, 2 heads, 1 block; text width 32, 1 block; unigram.model. open_clip/
     (BF16 safetensors) and hf/ (BF16).

expected.json per model and format: tokens (64 ids per text, open_clip's SigLIP
conventions over sentencepiece), image_features / text_features (encode_image /
encode_text, not normalized), logit_scale (exp), logit_bias, logits (scale·cos + bias)
and probs = sigmoid(logits), and the images' preprocessed tensors in pixels/*.f32
(raw little-endian float32, 3×R×R) for tensor-level parity.
"""
import json
import math
import os
import struct
import sys

OPEN_CLIP, TIMM, FTFY, SHARED, OUT = sys.argv[1:6]
sys.path[:0] = [OPEN_CLIP, TIMM, FTFY]

import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

import open_clip  # noqa: E402
import open_clip.factory  # noqa: E402
from open_clip.tokenizer import basic_clean, canonicalize_text  # noqa: E402
from open_clip.transform import image_transform  # noqa: E402
from timm.models import register_model  # noqa: E402
from timm.models.vision_transformer import VisionTransformer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = os.path.join(HERE, "..", "data", "siglip", "tokenizers")
IMAGES = ["CLIP.png", "chelsea.png", "astronaut.png", "rocket.jpg", "chelsea_palette_trns.png", "chelsea_gray.jpg"]
TEXTS = ["a diagram", "a dog", "a cat", "a photo of an astronaut", "a rocket on a launch pad",
         "Chelsea the cat, sitting on a red_blanket!",
         "a very long caption that goes on and on about the many things that can be seen in this picture "
         "of a cat: whiskers, ears, eyes, fur, a blanket, a sofa, a lamp, a window, the sky and more words "
         "so that it runs past sixty four tokens for sure"]


def vit(name, **args):
    def make(pretrained=False, pretrained_cfg=None, pretrained_cfg_overlay=None, **kwargs):
        return VisionTransformer(**dict(dict(args, class_token=False, global_pool="map"), **kwargs))
    make.__name__ = name
    register_model(make)


vit("vit_clipkit_test_a", img_size=48, patch_size=16, embed_dim=96, depth=2, num_heads=4, mlp_ratio=2.6)
vit("vit_clipkit_test_b", img_size=64, patch_size=16, embed_dim=72, depth=2, num_heads=3, mlp_ratio=3.7,
    act_layer="gelu_tanh")
vit("vit_clipkit_test_c", img_size=64, patch_size=16, embed_dim=80, depth=1, num_heads=5, mlp_ratio=2.25)
vit("vit_clipkit_test_d", img_size=40, patch_size=16, embed_dim=32, depth=1, num_heads=2, mlp_ratio=3.0)

MEAN, STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)


def model_cfg(embed, image, timm_name, vision_extra, text, hf_tok):
    return {
        "embed_dim": embed, "init_logit_bias": -10, "custom_text": True,
        "vision_cfg": dict({"image_size": image, "timm_model_name": timm_name, "timm_model_pretrained": False,
                            "timm_pool": "map", "timm_proj": "none"}, **vision_extra),
        "text_cfg": dict({"context_length": 64, "hf_tokenizer_name": hf_tok,
                          "tokenizer_kwargs": {"clean": "canonicalize"}, "no_causal_mask": True,
                          "proj_bias": True, "pool_type": "last", "norm_kwargs": {"eps": 1e-6}}, **text),
    }


MODELS = {
    "a": dict(cfg=model_cfg(96, 48, "vit_clipkit_test_a", {"width": 96, "head_width": 24},
                            {"vocab_size": 700, "width": 64, "heads": 2, "layers": 2, "mlp_ratio": 3.3},
                            "timm/ViT-B-16-SigLIP"),
              spm="unigram.model", conventions="siglip", interpolation="bicubic", formats=("open_clip", "hf"),
              hf_act="gelu", seed=11),
    "b": dict(cfg=model_cfg(72, 64, "vit_clipkit_test_b", {"width": 72, "head_width": 24},
                            {"vocab_size": 900, "width": 48, "heads": 3, "layers": 2, "mlp_ratio": 2.5,
                             "act_kwargs": {"approximate": "tanh"}},
                            "timm/ViT-B-16-SigLIP2"),
              spm="gemma_bpe.model", conventions="siglip2", interpolation="bilinear", formats=("hf",),
              hf_act="gelu_pytorch_tanh", seed=22),
    "c": dict(cfg=model_cfg(80, 64, "vit_clipkit_test_c", {"width": 80, "head_width": 16},
                            {"vocab_size": 900, "width": 56, "heads": 4, "layers": 2, "mlp_ratio": 3.0,
                             "act_kwargs": {"approximate": "tanh"}},
                            "timm/ViT-B-16-SigLIP2-256"),
              spm="gemma_bpe.model", conventions="siglip2", interpolation="bilinear", formats=("open_clip",),
              hf_act=None, seed=33),
    "d": dict(cfg=model_cfg(32, 40, "vit_clipkit_test_d", {"width": 32, "head_width": 16},
                            {"vocab_size": 700, "width": 32, "heads": 2, "layers": 1, "mlp_ratio": 2.0},
                            "timm/ViT-B-16-SigLIP"),
              spm="unigram.model", conventions="siglip", interpolation="bicubic", formats=("open_clip", "hf"),
              hf_act="gelu", seed=44),
}


def tokenize(sp, conventions, texts, context=64):
    """open_clip's SigLIP tokenization (HFTokenizer with clean="canonicalize" over the
    hub's T5/Gemma fast tokenizers): canonicalize_text(basic_clean(t)), the pieces, EOS,
    truncated to keep EOS last, right-padded (v1: pad = </s> = 1; SigLIP 2: pad 0)."""
    pad = 1 if conventions == "siglip" else 0
    rows = []
    for t in texts:
        ids = sp.encode(canonicalize_text(basic_clean(t)))[: context - 1] + [1]
        rows.append(ids + [pad] * (context - len(ids)))
    return rows


def perturb_and_round(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and name not in ("logit_scale", "logit_bias"):
                p.add_(torch.randn(p.shape, generator=g) * 0.2)
            if name == "logit_scale":
                p.fill_(math.log(10.0) + 0.37)
            elif name == "logit_bias":
                p.fill_(-2.75)
            p.copy_(p.bfloat16().float())


def write_safetensors(path, tensors, dtype):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            data, code = t.numpy().tobytes(), "I64"
        elif dtype == "BF16":
            data, code = t.float().bfloat16().view(torch.int16).numpy().tobytes(), "BF16"
        else:
            data, code = t.float().numpy().astype("<f4").tobytes(), "F32"
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def hf_state_dict(sd, cfg):
    """open_clip/timm names → transformers' SiglipModel names (modeling_siglip.py)."""
    out = {}
    v, t = "visual.trunk.", "text."
    out["vision_model.embeddings.patch_embedding.weight"] = sd[v + "patch_embed.proj.weight"]
    out["vision_model.embeddings.patch_embedding.bias"] = sd[v + "patch_embed.proj.bias"]
    out["vision_model.embeddings.position_embedding.weight"] = sd[v + "pos_embed"][0]
    patches = (cfg["vision_cfg"]["image_size"] // 16) ** 2
    out["vision_model.embeddings.position_ids"] = torch.arange(patches, dtype=torch.int64)[None]

    def layer(dst, src, qkv, qkv_b, proj, ln1, ln2, fc1, fc2):
        q, k, vv = sd[src + qkv].chunk(3)
        qb, kb, vb = sd[src + qkv_b].chunk(3)
        for n, w, b in (("q", q, qb), ("k", k, kb), ("v", vv, vb)):
            out[f"{dst}self_attn.{n}_proj.weight"], out[f"{dst}self_attn.{n}_proj.bias"] = w, b
        for a, b in ((proj, "self_attn.out_proj"), (ln1, "layer_norm1"), (ln2, "layer_norm2"),
                     (fc1, "mlp.fc1"), (fc2, "mlp.fc2")):
            out[f"{dst}{b}.weight"], out[f"{dst}{b}.bias"] = sd[src + a + ".weight"], sd[src + a + ".bias"]

    for i in range(len({k.split(".")[3] for k in sd if k.startswith(v + "blocks.")})):
        layer(f"vision_model.encoder.layers.{i}.", f"{v}blocks.{i}.", "attn.qkv.weight", "attn.qkv.bias",
              "attn.proj", "norm1", "norm2", "mlp.fc1", "mlp.fc2")
    out["vision_model.post_layernorm.weight"], out["vision_model.post_layernorm.bias"] = \
        sd[v + "norm.weight"], sd[v + "norm.bias"]
    p = v + "attn_pool."
    out["vision_model.head.probe"] = sd[p + "latent"]
    out["vision_model.head.attention.in_proj_weight"] = torch.cat([sd[p + "q.weight"], sd[p + "kv.weight"]])
    out["vision_model.head.attention.in_proj_bias"] = torch.cat([sd[p + "q.bias"], sd[p + "kv.bias"]])
    for a, b in (("proj", "attention.out_proj"), ("norm", "layernorm"), ("mlp.fc1", "mlp.fc1"),
                 ("mlp.fc2", "mlp.fc2")):
        out[f"vision_model.head.{b}.weight"], out[f"vision_model.head.{b}.bias"] = \
            sd[p + a + ".weight"], sd[p + a + ".bias"]

    out["text_model.embeddings.token_embedding.weight"] = sd[t + "token_embedding.weight"]
    out["text_model.embeddings.position_embedding.weight"] = sd[t + "positional_embedding"]
    out["text_model.embeddings.position_ids"] = torch.arange(64, dtype=torch.int64)[None]
    for i in range(cfg["text_cfg"]["layers"]):
        layer(f"text_model.encoder.layers.{i}.", f"{t}transformer.resblocks.{i}.", "attn.in_proj_weight",
              "attn.in_proj_bias", "attn.out_proj", "ln_1", "ln_2", "mlp.c_fc", "mlp.c_proj")
    out["text_model.final_layer_norm.weight"], out["text_model.final_layer_norm.bias"] = \
        sd[t + "ln_final.weight"], sd[t + "ln_final.bias"]
    out["text_model.head.weight"], out["text_model.head.bias"] = \
        sd[t + "text_projection.weight"], sd[t + "text_projection.bias"]
    out["logit_scale"], out["logit_bias"] = sd["logit_scale"].reshape(1), sd["logit_bias"].reshape(1)
    return out


def hf_config(cfg, act):
    vc, tc = cfg["vision_cfg"], cfg["text_cfg"]
    width = vc["width"]
    mlp_v = {"a": 249, "b": 266, "d": 96}
    return {
        "architectures": ["SiglipModel"], "model_type": "siglip", "initializer_factor": 1.0,
        "torch_dtype": "float32" if cfg["vision_cfg"]["timm_model_name"].endswith("a") else "bfloat16", "transformers_version": "4.37.0.dev0",
        "text_config": {"model_type": "siglip_text_model", "hidden_size": tc["width"],
                        "intermediate_size": int(tc["width"] * tc["mlp_ratio"]),
                        "num_attention_heads": tc["heads"], "num_hidden_layers": tc["layers"],
                        "vocab_size": tc["vocab_size"], "max_position_embeddings": 64, "hidden_act": act,
                        "layer_norm_eps": 1e-06, "projection_size": cfg["embed_dim"]},
        "vision_config": {"model_type": "siglip_vision_model", "hidden_size": width,
                          "intermediate_size": mlp_v[vc["timm_model_name"][-1]],
                          "num_attention_heads": width // vc["head_width"],
                          "num_hidden_layers": {"a": 2, "b": 2, "d": 1}[vc["timm_model_name"][-1]],
                          "image_size": vc["image_size"], "patch_size": 16,
                          "num_channels": 3, "hidden_act": act, "layer_norm_eps": 1e-06},
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for key, spec in MODELS.items():
        cfg = spec["cfg"]
        name = f"clipkit-test-siglip-{key}"
        open_clip.factory._MODEL_CONFIGS[name] = cfg
        torch.manual_seed(spec["seed"])
        model = open_clip.create_model(name)
        if key == "b":  # modeling_siglip's head MLP uses hidden_act too (see the docstring)
            model.visual.trunk.attn_pool.mlp.act = torch.nn.GELU(approximate="tanh")
        perturb_and_round(model, spec["seed"])
        model.eval()
        sd = model.state_dict()
        sp = spm.SentencePieceProcessor(model_file=os.path.join(TOKENIZERS, spec["spm"]))
        assert sp.get_piece_size() == cfg["text_cfg"]["vocab_size"]
        tokens = tokenize(sp, spec["conventions"], TEXTS)
        size = cfg["vision_cfg"]["image_size"]
        preprocess = image_transform(size, is_train=False, mean=MEAN, std=STD, resize_mode="squash",
                                     interpolation=spec["interpolation"])
        root = os.path.join(OUT, key)
        os.makedirs(os.path.join(root, "pixels"), exist_ok=True)
        pixels = []
        for image in IMAGES:
            x = preprocess(Image.open(os.path.join(SHARED, "data", "images", image)))
            x.numpy().astype("<f4").tofile(os.path.join(root, "pixels", image + ".f32"))
            pixels.append(x)
        with torch.no_grad():
            img = model.encode_image(torch.stack(pixels))
            txt = model.encode_text(torch.tensor(tokens))
            scale, bias = model.logit_scale.exp().item(), model.logit_bias.item()
            logits = scale * torch.nn.functional.normalize(img, dim=-1) @ torch.nn.functional.normalize(txt, dim=-1).T + bias
        expected = {
            "generator": "tests/reference/siglip_models.py (open_clip v2.24.0, timm v0.9.16, torch "
                         + torch.__version__ + ")",
            "images": IMAGES, "texts": TEXTS, "tokens": tokens, "tokenizer": spec["spm"],
            "conventions": spec["conventions"], "image_size": size, "interpolation": spec["interpolation"],
            "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale,
            "logit_bias": bias, "logits": logits.tolist(), "probs": torch.sigmoid(logits).tolist(),
        }
        tok_file = "spiece.model" if spec["conventions"] == "siglip" else "tokenizer.model"
        spm_bytes = open(os.path.join(TOKENIZERS, spec["spm"]), "rb").read()
        tok_config = ({"tokenizer_class": "SiglipTokenizer", "eos_token": "</s>", "pad_token": "</s>",
                       "unk_token": "<unk>", "model_max_length": 64, "do_lower_case": True}
                      if spec["conventions"] == "siglip" else
                      {"tokenizer_class": "GemmaTokenizer", "add_bos_token": False, "add_eos_token": True,
                       "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>",
                       "model_max_length": 64})
        if "open_clip" in spec["formats"]:
            d = os.path.join(root, "open_clip")
            os.makedirs(d, exist_ok=True)
            json.dump({"model_cfg": cfg, "preprocess_cfg": {"mean": MEAN, "std": STD,
                                                            "interpolation": spec["interpolation"],
                                                            "resize_mode": "squash"}},
                      open(os.path.join(d, "open_clip_config.json"), "w"), indent=2)
            if key == "c":
                torch.save(sd, os.path.join(d, "open_clip_pytorch_model.bin"))
            else:
                write_safetensors(os.path.join(d, "open_clip_model.safetensors"), sd, "BF16")
            open(os.path.join(d, tok_file), "wb").write(spm_bytes)
            json.dump(tok_config, open(os.path.join(d, "tokenizer_config.json"), "w"), indent=2)
        if "hf" in spec["formats"]:
            d = os.path.join(root, "hf")
            os.makedirs(d, exist_ok=True)
            json.dump(hf_config(cfg, spec["hf_act"]), open(os.path.join(d, "config.json"), "w"), indent=2)
            write_safetensors(os.path.join(d, "model.safetensors"), hf_state_dict(sd, cfg), "F32" if key == "a" else "BF16")
            json.dump({"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN,
                       "image_std": STD, "image_processor_type": "SiglipImageProcessor",
                       "processor_class": "SiglipProcessor", "resample": 3 if spec["interpolation"] == "bicubic" else 2,
                       "rescale_factor": 1 / 255, "size": {"height": size, "width": size}},
                      open(os.path.join(d, "preprocessor_config.json"), "w"), indent=2)
            open(os.path.join(d, tok_file), "wb").write(spm_bytes)
            json.dump(tok_config, open(os.path.join(d, "tokenizer_config.json"), "w"), indent=2)
        json.dump(expected, open(os.path.join(root, "expected.json"), "w"))
        print(key, name, sum(p.numel() for p in model.parameters()), "parameters", spec["formats"])


if __name__ == "__main__":
    main()
