#!/usr/bin/python3
"""Makes clipkit's Chinese-CLIP model fixtures with Chinese-CLIP's own code (cn_clip:
model.py's CLIP, modeling_bert.py's BertModel, utils.py's load_from_name / tokenize /
image_transform) on Debian's python3-torch.

Usage:
  /usr/bin/python3 tests/reference/chinese_clip_models.py CHINESE_CLIP_DIR SHARED_DIR OUT_DIR
    CHINESE_CLIP_DIR  holds cn_clip/ (github.com/OFA-Sys/Chinese-CLIP, commit 31863c7):
                      git --git-dir=<Chinese-CLIP> archive HEAD cn_clip | tar -x
    SHARED_DIR        ../shared (images are read from SHARED_DIR/data/images)
    OUT_DIR           tests/data/chinese_clip/models

cn_clip is copied to a temporary folder so that the fixtures' model configs can be put
in its model_configs/ (create_model reads them from there); nothing else is changed.

Two random-weight models with small, odd dimensions. Matrices are drawn with std
1/sqrt(fan_in) (so attention is far from uniform), 1-D parameters are perturbed away
from their init, so a loader that swaps or drops one cannot pass; every value is
fp16-exact (cn_clip's create_model rounds what it loads to fp16 before model.float(), so
fp32 files would otherwise not carry the numbers the reference uses). The vocabulary is
tests/data/chinese_clip/vocab.txt (2564 lines, made by wordpiece_goldens.py).

  a  vision: 48 px, patch 16, width 128 (2 heads of 64), 2 blocks; text: BERT width 192
     (3 heads of 64), 3 layers, intermediate 200, 60 positions, 2 token types; embed 40.
     Saved as Chinese-CLIP's released checkpoints are: torch.save({"epoch", "step",
     "name", "state_dict"}) with "module." prefixes, after cn_clip's convert_weights
     (fp16 matrices and BERT, fp32 vision LayerNorms / class and position embeddings):
     a/clip_cn_test.pt.
  b  vision: 32 px, patch 8, width 64 (1 head), 1 block; text: width 128 (2 heads),
     1 layer, intermediate 96, 53 positions; embed 24. All fp32, no "module." prefix:
     b/clip_cn_test.pt.

The reference is cn_clip.clip.load_from_name(path, vision_model_name, text_model_name,
input_resolution) on the CPU (it loads the checkpoint with torch.load and create_model,
then model.float()), and its image_transform (squash to R×R, bicubic, no crop).
expected.json per model: tokens (cn_clip.clip.tokenize with the vocabulary above,
context 52), image_features / text_features (encode_image / encode_text, not
normalized), logit_scale (exp), logits_per_image (scale·cos), probs (softmax over the
texts); pixels/*.f32 are the preprocessed images (raw little-endian float32, 3×R×R).
"""
import json
import math
import os
import shutil
import sys
import tempfile

CN_CLIP, SHARED, OUT = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB = os.path.join(HERE, "..", "data", "chinese_clip", "vocab.txt")

IMAGES = ["CLIP.png", "chelsea.png", "astronaut.png", "rocket.jpg", "chelsea_palette_trns.png", "chelsea_gray.jpg"]
TEXTS = [
    "一只猫的照片",
    "一张狗狗在草地上奔跑的照片。",
    "a photo of an astronaut",
    "火箭发射台上的火箭 rocket on a launch pad",
    "Chelsea the cat, sitting on a red blanket!",
    "",
    "这是一段很长的描述：一只猫坐在红色的毯子上，旁边有一盏灯、一扇窗户和一张沙发，"
    "窗外是蓝色的天空和白色的云，猫的眼睛、耳朵和胡须都看得很清楚，描述还在继续写下去，"
    "直到超过五十二个词元为止。",
]

MODELS = {
    "a": {"seed": 11, "vision": {"embed_dim": 40, "image_resolution": 48, "vision_layers": 2, "vision_width": 128,
                                 "vision_patch_size": 16},
          "text": {"text_hidden_size": 192, "text_num_attention_heads": 3, "text_num_hidden_layers": 3,
                   "text_intermediate_size": 200, "text_max_position_embeddings": 60},
          "released_layout": True},
    "b": {"seed": 12, "vision": {"embed_dim": 24, "image_resolution": 32, "vision_layers": 1, "vision_width": 64,
                                 "vision_patch_size": 8},
          "text": {"text_hidden_size": 128, "text_num_attention_heads": 2, "text_num_hidden_layers": 1,
                   "text_intermediate_size": 96, "text_max_position_embeddings": 53},
          "released_layout": False},
}


def text_config(spec, vocab_size):
    cfg = {"vocab_size": vocab_size, "text_attention_probs_dropout_prob": 0.1, "text_hidden_act": "gelu",
           "text_hidden_dropout_prob": 0.1, "text_initializer_range": 0.02, "text_type_vocab_size": 2}
    cfg.update(spec["text"])
    return cfg


def randomize(model, seed):
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                p.fill_(math.log(10.0) + 0.37)
            elif p.dim() >= 2:
                fan_in = p.shape[1] if not name.endswith("embeddings.weight") else 1
                if name == "visual.conv1.weight":
                    fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            else:
                p.add_(torch.randn(p.shape, generator=g) * 0.2)
            # fp16-exact: create_model loads every file into convert_weights' fp16 parameters,
            # so an fp32 file is rounded by the reference; rounded values survive that as is.
            p.copy_(p.half().float())


def main():
    work = tempfile.mkdtemp(prefix="cn_clip_ref_")
    shutil.copytree(os.path.join(CN_CLIP, "cn_clip"), os.path.join(work, "cn_clip"))
    sys.path.insert(0, work)
    import numpy as np  # noqa: F401
    import torch
    from PIL import Image
    import cn_clip.clip as cnc
    from cn_clip.clip import bert_tokenizer, utils
    from cn_clip.clip.model import CLIP, convert_weights

    vocab_size = sum(1 for _ in open(VOCAB, encoding="utf-8"))
    tokenizer = bert_tokenizer.FullTokenizer(vocab_file=VOCAB)
    utils._tokenizer = tokenizer  # cn_clip.clip.tokenize reads this module global
    tokens = utils.tokenize(TEXTS).tolist()
    assert any(len([t for t in row if t]) == 52 for row in tokens), "the long text must fill the context"

    configs = os.path.join(work, "cn_clip", "clip", "model_configs")
    os.makedirs(OUT, exist_ok=True)
    for key, spec in MODELS.items():
        vision_name, text_name = f"clipkit-test-{key}-vit", f"clipkit-test-{key}-bert"
        json.dump(spec["vision"], open(os.path.join(configs, vision_name + ".json"), "w"))
        json.dump(text_config(spec, vocab_size), open(os.path.join(configs, text_name + ".json"), "w"))
        torch.manual_seed(spec["seed"])
        model = CLIP(**spec["vision"], **text_config(spec, vocab_size))
        randomize(model, spec["seed"])
        root = os.path.join(OUT, key)
        os.makedirs(os.path.join(root, "pixels"), exist_ok=True)
        path = os.path.join(root, "clip_cn_test.pt")
        if spec["released_layout"]:
            convert_weights(model)  # as create_model does before loading a released file
            sd = {"module." + k: v for k, v in model.state_dict().items()}
            torch.save({"epoch": 3, "step": 1200, "name": "clipkit-test", "state_dict": sd}, path)
        else:
            torch.save({"state_dict": model.state_dict()}, path)
        del model

        ref, preprocess = cnc.load_from_name(path, device="cpu", vision_model_name=vision_name,
                                             text_model_name=text_name,
                                             input_resolution=spec["vision"]["image_resolution"])
        ref.eval()
        pixels = []
        for image in IMAGES:
            x = preprocess(Image.open(os.path.join(SHARED, "data", "images", image)))
            x.numpy().astype("<f4").tofile(os.path.join(root, "pixels", image + ".f32"))
            pixels.append(x)
        with torch.no_grad():
            img = ref.encode_image(torch.stack(pixels))
            txt = ref.encode_text(torch.tensor(tokens))
            scale = ref.logit_scale.exp().item()
            logits = scale * torch.nn.functional.normalize(img, dim=-1) @ torch.nn.functional.normalize(txt, dim=-1).T
        expected = {
            "generator": "tests/reference/chinese_clip_models.py (cn_clip 31863c7, torch " + torch.__version__ + ")",
            "images": IMAGES, "texts": TEXTS, "tokens": tokens, "vocab": "tests/data/chinese_clip/vocab.txt",
            "image_size": spec["vision"]["image_resolution"], "config": {**spec["vision"], **spec["text"]},
            "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale,
            "logits_per_image": logits.tolist(), "probs": logits.softmax(dim=-1).tolist(),
        }
        json.dump(expected, open(os.path.join(root, "expected.json"), "w"))
        print(key, sum(p.numel() for p in ref.parameters()), "parameters,", os.path.getsize(path), "bytes")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
