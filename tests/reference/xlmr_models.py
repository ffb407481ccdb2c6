#!/usr/bin/python3
"""Makes clipkit's XLM-RoBERTa model fixtures: two open_clip models with an XLM-R text
tower (as laion's xlm-roberta-base-ViT-B-32 / xlm-roberta-large-ViT-H-14) and one M-CLIP
text model (as M-CLIP/XLM-Roberta-Large-Vit-B-32), on Debian's python3-torch 1.13.

Usage:
  /usr/bin/python3 tests/reference/xlmr_models.py OPEN_CLIP_SRC CHINESE_CLIP_DIR FTFY_SRC SHARED_DIR OUT_DIR
    OPEN_CLIP_SRC     git --git-dir=<open_clip> archive v2.24.0 src | tar -x  → …/src
    CHINESE_CLIP_DIR  holds cn_clip/ (github.com/OFA-Sys/Chinese-CLIP, commit 31863c7):
                      git --git-dir=<Chinese-CLIP> archive HEAD cn_clip | tar -x
    FTFY_SRC          git --git-dir=<python-ftfy> archive v6.3.1 ftfy | tar -x → parent of ftfy/
    SHARED_DIR        ../shared (images: SHARED_DIR/data/images; M-CLIP's image side:
                      SHARED_DIR/fixtures/models/tiny_quickgelu/expected.json)
    OUT_DIR           tests/data/xlmr/models
The tokenizer is tests/data/xlmr/tokenizer/sentencepiece.bpe.model (xlmr_tokenizers.py,
1000 pieces, so the XLM-R vocabulary is 1002 ids with <mask>), the token rows are made
by xlmr_token_goldens.xlmr_ids (transformers' XLMRobertaTokenizer, mirrored there).

What is upstream and what is mirrored (transformers is not installable here):
  * open_clip v2.24.0, IMPORTED: the image tower (open_clip.model._build_vision_tower:
    its VisionTransformer, nn.GELU since quick_gelu is false, LayerNorm eps 1e-5), the
    image preprocessing (open_clip.transform.image_transform: shortest side to R,
    bicubic, centre crop, CLIP mean/std), the text cleaning (tokenizer.basic_clean,
    whitespace_clean: HFTokenizer's clean='whitespace') and hf_model.MeanPooler.
  * XLMRobertaModel = cn_clip's BertModel (modeling_bert.py, the Hugging Face BERT code
    Chinese-CLIP ships: post-norm, exact erf GELU) given what RoBERTa changes:
    layer_norm_eps 1e-5, type_vocab_size 1 (token type 0), and position ids from
    transformers' create_position_ids_from_input_ids (mirrored in xlmr_position_ids:
    padding_idx 1, real tokens get 2, 3, …, pads get 1). Pad keys get -10000 added
    before the softmax (transformers now uses finfo.min; both are exactly 0 after the
    fp32 softmax). Its parameter names are XLMRobertaModel's (embeddings.*,
    encoder.layer.N.*), so the state dicts below are the real files' names.
  * open_clip's HFTextEncoder.forward (mirrored in OpenClipText.forward): attn_mask =
    ids != pad_token_id (1); MeanPooler; proj 'mlp' = Linear(d, (d+out)//2, bias=False),
    GELU, Linear(.., out, bias=False) or 'linear' = Linear(d, out, bias=False);
    XLMRobertaModel built with add_pooling_layer=False (mean_pooler), so no pooler.
  * M-CLIP's pt_multilingual_clip.py MultilingualCLIP.forward (mirrored in mclip_text):
    tokenizer(texts, padding=True) (no cleaning, no truncation; padded to the longest
    row), embs = transformer(input_ids, attention_mask)[0], mean over the tokenizer's
    attention_mask, then LinearTransformation (Linear with bias). Its XLMRobertaModel
    has a pooler (add_pooling_layer defaults to True): transformer.pooler.dense.* are in
    the file as in the released ones, and unused.

Random weights (seeded): matrices drawn with std 1/sqrt(fan_in), embeddings with std 1,
1-D parameters perturbed by N(0, 0.2) away from their init (so a loader that swaps or
drops one cannot pass), logit_scale = log(10) + 0.37. The files also carry the int64
buffer embeddings.position_ids [1, max_positions] that transformers < 4.31 saved with
every XLM-R model (the released laion and M-CLIP files have it); it is not a parameter.

  a  open_clip folder: open_clip_config.json (written as push_to_hf_hub.save_config_for_hf
     does: {"model_cfg", "preprocess_cfg"}, indent 2), open_clip_model.safetensors,
     sentencepiece.bpe.model. Vision 48 px, patch 16, width 128 (2 heads of 64), 2 blocks;
     text width 192 (3 heads of 64), 3 layers, intermediate 200, 80 positions; embed 40;
     proj 'mlp' (192 → 116 → 40). CHOICE: in fp32 this file would be 5.6 MB, so every
     tensor of 2+ dimensions is stored F16 (its values are fp16-exact, so the file holds
     exactly the numbers the reference ran with) and the 1-D ones, logit_scale and
     position_ids stay F32 / I64: 2.86 MB, and a mixed-dtype file.
  b  open_clip folder with open_clip_pytorch_model.bin (torch.save of the state dict,
     fp32). Vision 32 px, patch 8, width 64 (1 head; vision_cfg says head_width 64
     explicitly), 1 block; text width 128 (2 heads), 2 layers, intermediate 96,
     79 positions; embed 24; proj 'linear'.
  mclip  Hugging Face folder: config.json (M-CLIP's MultilingualCLIP config), pytorch_model.bin
     (torch.save, fp32: transformer.embeddings.*, transformer.encoder.layer.N.*,
     transformer.pooler.dense.*, LinearTransformation.*), sentencepiece.bpe.model,
     tokenizer_config.json. Text width 192 (3 heads), 2 layers, intermediate 144, 514
     positions, transformerDimensions 192 → numDims 32. It has no image tower: it pairs
     with SHARED_DIR/fixtures/models/tiny_quickgelu (embed_dim 32), whose expected
     image_features (its first six images) and logit_scale are used as they are.
The config the loader infers from tensor shapes (heads = width / 64) is in each
expected.json's "config".

expected.json keys: generator, images, texts, tokens (full rows: 77 wide for a/b,
padded with 1; for mclip padded with 1 to the longest row of the batch),
context_length, image_size (a/b), config, image_features, text_features (not
normalized), logit_scale (exp), logits_per_image (scale·cos), probs (softmax over the
texts); mclip also "pair" (the image model whose image_features / logit_scale it
uses). M-CLIP's attention mask is the tokenizer's: 1 over each row's own ids, which here
is ids != 1 (no caption holds a literal "<pad>"). pixels/<image>.f32 (a/b) are the
preprocessed images (raw little-endian float32, 3×R×R).
Sizes: a 2.86 MB (mixed F16/F32, see above), b 1.58 MB, mclip 2.99 MB — CHOICE: kept
fp32 as the released M-CLIP pytorch_model.bin files are, though over ~2 MiB (514
positions × 192 and the unused pooler are most of the excess).
Check: tests/reference/xlmr_models_check.py (independent functional re-implementation).
"""
import json
import math
import os
import shutil
import struct
import sys

OPEN_CLIP, CN_CLIP, FTFY, SHARED, OUT = sys.argv[1:6]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, OPEN_CLIP, CN_CLIP, FTFY]

import sentencepiece as spm  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from PIL import Image  # noqa: E402

from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD  # noqa: E402
from open_clip.hf_model import MeanPooler  # noqa: E402
from open_clip.model import _build_vision_tower  # noqa: E402
from open_clip.tokenizer import basic_clean, whitespace_clean  # noqa: E402
from open_clip.transform import image_transform  # noqa: E402
from cn_clip.clip.configuration_bert import BertConfig  # noqa: E402
from cn_clip.clip.modeling_bert import BertModel, BertPooler  # noqa: E402
from xlmr_token_goldens import xlmr_ids  # noqa: E402
from xlmr_tokenizers import MODEL_TEXTS  # noqa: E402

TOKENIZER = os.path.join(HERE, "..", "data", "xlmr", "tokenizer", "sentencepiece.bpe.model")
IMAGES = ["CLIP.png", "chelsea.png", "astronaut.png", "rocket.jpg", "coffee.png", "camera.png"]
TEXTS = MODEL_TEXTS
PAD = 1
CONTEXT = 77
PAIR = "shared/fixtures/models/tiny_quickgelu"
PREPROCESS_CFG = {"mean": list(OPENAI_DATASET_MEAN), "std": list(OPENAI_DATASET_STD), "interpolation": "bicubic",
                  "resize_mode": "shortest"}

OPEN_CLIP_MODELS = {
    "a": dict(seed=21, embed_dim=40, vision_cfg={"image_size": 48, "layers": 2, "width": 128, "patch_size": 16},
              proj="mlp", text=dict(hidden_size=192, num_attention_heads=3, num_hidden_layers=3,
                                    intermediate_size=200, max_position_embeddings=80),
              file="open_clip_model.safetensors"),
    "b": dict(seed=22, embed_dim=24,
              vision_cfg={"image_size": 32, "layers": 1, "width": 64, "head_width": 64, "patch_size": 8},
              proj="linear", text=dict(hidden_size=128, num_attention_heads=2, num_hidden_layers=2,
                                       intermediate_size=96, max_position_embeddings=79),
              file="open_clip_pytorch_model.bin"),
}
MCLIP = dict(seed=23, num_dims=32, text=dict(hidden_size=192, num_attention_heads=3, num_hidden_layers=2,
                                             intermediate_size=144, max_position_embeddings=514))


# ---- XLMRobertaModel = the upstream BERT code with RoBERTa's inputs -------------------

def xlmr_config(vocab_size, text):
    return BertConfig(vocab_size_or_config_json_file=vocab_size, hidden_act="gelu", type_vocab_size=1,
                      layer_norm_eps=1e-5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **text)


def xlmr_position_ids(input_ids, padding_idx=PAD):
    """transformers' create_position_ids_from_input_ids (modeling_xlm_roberta.py)."""
    mask = input_ids.ne(padding_idx).int()
    incremental_indices = torch.cumsum(mask, dim=1).type_as(mask) * mask
    return incremental_indices.long() + padding_idx


def xlmr_forward(bert, input_ids, attention_mask):
    """XLMRobertaModel(input_ids, attention_mask).last_hidden_state."""
    return bert(input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids),
                position_ids=xlmr_position_ids(input_ids))[0]


class HiddenState:  # the BaseModelOutput field MeanPooler reads
    def __init__(self, last_hidden_state):
        self.last_hidden_state = last_hidden_state


class OpenClipText(nn.Module):
    """open_clip's HFTextEncoder (hf_model.py) around the XLMRobertaModel above."""

    def __init__(self, vocab_size, text, output_dim, proj_type):
        super().__init__()
        self.transformer = BertModel(xlmr_config(vocab_size, text))
        self.pooler = MeanPooler()
        d_model = text["hidden_size"]
        if proj_type == "linear":
            self.proj = nn.Linear(d_model, output_dim, bias=False)
        else:
            hidden_size = (d_model + output_dim) // 2
            self.proj = nn.Sequential(nn.Linear(d_model, hidden_size, bias=False), nn.GELU(),
                                      nn.Linear(hidden_size, output_dim, bias=False))

    def forward(self, x):
        attn_mask = (x != PAD).long()
        out = HiddenState(xlmr_forward(self.transformer, x, attn_mask))
        return self.proj(self.pooler(out, attn_mask))


class OpenClipXlmr(nn.Module):
    """open_clip's CustomTextCLIP with the towers above (encode_* not normalized)."""

    def __init__(self, spec, vocab_size):
        super().__init__()
        self.visual = _build_vision_tower(spec["embed_dim"], spec["vision_cfg"], quick_gelu=False)
        self.text = OpenClipText(vocab_size, spec["text"], spec["embed_dim"], spec["proj"])
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        return self.text(text)


class MultilingualClip(nn.Module):
    """M-CLIP's pt_multilingual_clip.MultilingualCLIP (transformer = XLMRobertaModel with
    its pooler, LinearTransformation)."""

    def __init__(self, vocab_size, text, num_dims):
        super().__init__()
        self.transformer = BertModel(xlmr_config(vocab_size, text))
        self.transformer.pooler = BertPooler(self.transformer.config)  # in the file, unused
        self.LinearTransformation = nn.Linear(text["hidden_size"], num_dims)

    def forward(self, input_ids, attention_mask):
        embs = xlmr_forward(self.transformer, input_ids, attention_mask)
        att = attention_mask
        embs = (embs * att.unsqueeze(2)).sum(dim=1) / att.sum(dim=1)[:, None]
        return self.LinearTransformation(embs)


# ---- weights and files ------------------------------------------------------------------

def randomize(model, seed, fp16_matrices=False):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                p.fill_(math.log(10.0) + 0.37)
            elif p.dim() >= 2:
                fan_in = 1 if name.endswith("embeddings.weight") else p.shape[1]
                if name == "visual.conv1.weight":
                    fan_in = p[0].numel()
                elif name == "visual.proj":  # used as x @ proj
                    fan_in = p.shape[0]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
                if fp16_matrices:
                    p.copy_(p.half().float())
            else:
                p.add_(torch.randn(p.shape, generator=g) * 0.2)


def file_state_dict(model, prefix_of_transformer, max_positions):
    """The model's state dict plus XLM-R's int64 position_ids buffer, as the released files."""
    sd = {}
    for k, v in model.state_dict().items():
        sd[k] = v.clone()
        if k == prefix_of_transformer + "embeddings.LayerNorm.bias":
            sd[prefix_of_transformer + "embeddings.position_ids"] = torch.arange(max_positions)[None]
    return sd


def write_safetensors(path, tensors):
    """F16 for tensors of 2+ dimensions, F32 for the rest, I64 for int64 (see a above)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            data, code = t.numpy().astype("<i8").tobytes(), "I64"
        elif t.dim() >= 2:
            assert torch.equal(t.half().float(), t), name
            data, code = t.half().numpy().astype("<f2").tobytes(), "F16"
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


def scores(img, txt, scale):
    logits = scale * torch.nn.functional.normalize(img, dim=-1) @ torch.nn.functional.normalize(txt, dim=-1).T
    return logits, logits.softmax(dim=-1)


def report(key, model, path):
    print(f"{key}: {sum(p.numel() for p in model.parameters())} parameters, {os.path.basename(path)} "
          f"{os.path.getsize(path)} bytes")


def make_open_clip(key, spec, sp_path, vocab_size, sp):
    torch.manual_seed(spec["seed"])
    model = OpenClipXlmr(spec, vocab_size)
    randomize(model, spec["seed"], fp16_matrices=spec["file"].endswith(".safetensors"))
    model.eval()
    root = os.path.join(OUT, key)
    os.makedirs(os.path.join(root, "pixels"), exist_ok=True)
    model_cfg = {"embed_dim": spec["embed_dim"], "vision_cfg": spec["vision_cfg"],
                 "text_cfg": {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base",
                              "hf_pooler_type": "mean_pooler", "hf_proj_type": spec["proj"]}}
    with open(os.path.join(root, "open_clip_config.json"), "w") as f:  # push_to_hf_hub.save_config_for_hf
        json.dump({"model_cfg": model_cfg, "preprocess_cfg": PREPROCESS_CFG}, f, indent=2)
    sd = file_state_dict(model, "text.transformer.", spec["text"]["max_position_embeddings"])
    path = os.path.join(root, spec["file"])
    if path.endswith(".safetensors"):
        write_safetensors(path, sd)
    else:
        torch.save(sd, path)
    shutil.copyfile(sp_path, os.path.join(root, "sentencepiece.bpe.model"))

    rows = [xlmr_ids(sp, whitespace_clean(basic_clean(t)), CONTEXT) for t in TEXTS]
    assert any(len(r) == CONTEXT for r in rows), "a text must fill the context"
    tokens = [r + [PAD] * (CONTEXT - len(r)) for r in rows]
    size = spec["vision_cfg"]["image_size"]
    preprocess = image_transform(size, is_train=False, mean=OPENAI_DATASET_MEAN, std=OPENAI_DATASET_STD,
                                 resize_mode="shortest", interpolation="bicubic")
    pixels = []
    for image in IMAGES:
        x = preprocess(Image.open(os.path.join(SHARED, "data", "images", image)))
        x.numpy().astype("<f4").tofile(os.path.join(root, "pixels", image + ".f32"))
        pixels.append(x)
    with torch.no_grad():
        img = model.encode_image(torch.stack(pixels))
        txt = model.encode_text(torch.tensor(tokens))
        scale = model.logit_scale.exp().item()
        logits, probs = scores(img, txt, scale)
    config = {"model_cfg": model_cfg,
              "text": dict(spec["text"], vocab_size=vocab_size, type_vocab_size=1, layer_norm_eps=1e-5,
                           pad_token_id=PAD, hidden_act="gelu", pooler="mean_pooler", proj=spec["proj"]),
              "vision": {"heads": spec["vision_cfg"]["width"] // 64, "mlp_ratio": 4.0, "act": "gelu",
                         "layer_norm_eps": 1e-5}}
    expected = {
        "generator": "tests/reference/xlmr_models.py (open_clip v2.24.0, cn_clip 31863c7 BertModel as "
                     "XLMRobertaModel, torch " + torch.__version__ + ")",
        "images": IMAGES, "texts": TEXTS, "tokens": tokens, "context_length": CONTEXT,
        "tokenizer": "sentencepiece.bpe.model", "image_size": size, "config": config,
        "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale,
        "logits_per_image": logits.tolist(), "probs": probs.tolist(),
    }
    json.dump(expected, open(os.path.join(root, "expected.json"), "w"))
    report(key, model, path)


def make_mclip(sp_path, vocab_size, sp):
    spec = MCLIP
    torch.manual_seed(spec["seed"])
    model = MultilingualClip(vocab_size, spec["text"], spec["num_dims"])
    randomize(model, spec["seed"])
    model.eval()
    root = os.path.join(OUT, "mclip")
    os.makedirs(root, exist_ok=True)
    config = {"_name_or_path": "M-CLIP/XLM-Roberta-Large-Vit-B-32", "architectures": ["MultilingualCLIP"],
              "model_type": "M-CLIP", "modelBase": "xlm-roberta-large",
              "transformerDimensions": spec["text"]["hidden_size"], "numDims": spec["num_dims"],
              "torch_dtype": "float32", "transformers_version": "4.20.0"}
    json.dump(config, open(os.path.join(root, "config.json"), "w"), indent=2)
    tok_config = {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>",
                  "mask_token": {"__type": "AddedToken", "content": "<mask>", "lstrip": True, "normalized": True,
                                 "rstrip": False, "single_word": False},
                  "model_max_length": 512, "name_or_path": "xlm-roberta-large", "pad_token": "<pad>",
                  "sep_token": "</s>", "sp_model_kwargs": {}, "special_tokens_map_file": None,
                  "tokenizer_class": "XLMRobertaTokenizer", "unk_token": "<unk>"}
    json.dump(tok_config, open(os.path.join(root, "tokenizer_config.json"), "w"), indent=2)
    sd = file_state_dict(model, "transformer.", spec["text"]["max_position_embeddings"])
    path = os.path.join(root, "pytorch_model.bin")
    torch.save(sd, path)
    shutil.copyfile(sp_path, os.path.join(root, "sentencepiece.bpe.model"))

    rows = [xlmr_ids(sp, t) for t in TEXTS]  # M-CLIP: no cleaning, no truncation
    longest = max(len(r) for r in rows)
    assert CONTEXT < longest <= 512
    tokens = [r + [PAD] * (longest - len(r)) for r in rows]
    mask = [[1] * len(r) + [0] * (longest - len(r)) for r in rows]  # the tokenizer's attention_mask
    pair = json.load(open(os.path.join(SHARED, "fixtures", "models", "tiny_quickgelu", "expected.json")))
    images = pair["images"][:6]
    with torch.no_grad():
        txt = model(torch.tensor(tokens), torch.tensor(mask))
        img = torch.tensor(pair["image_features"][:6])
        scale = pair["logit_scale"]
        logits, probs = scores(img, txt, scale)
    expected = {
        "generator": "tests/reference/xlmr_models.py (M-CLIP pt_multilingual_clip.py mirrored, cn_clip 31863c7 "
                     "BertModel as XLMRobertaModel, torch " + torch.__version__ + ")",
        "pair": PAIR, "images": images, "texts": TEXTS, "tokens": tokens, "context_length": longest,
        "tokenizer": "sentencepiece.bpe.model",
        "config": dict(config, text=dict(spec["text"], vocab_size=vocab_size, type_vocab_size=1,
                                         layer_norm_eps=1e-5, pad_token_id=PAD, hidden_act="gelu")),
        "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale,
        "logits_per_image": logits.tolist(), "probs": probs.tolist(),
    }
    json.dump(expected, open(os.path.join(root, "expected.json"), "w"))
    report("mclip", model, path)


def main():
    sp = spm.SentencePieceProcessor(model_file=TOKENIZER)
    vocab_size = sp.get_piece_size() + 2  # fairseq offset 1, plus <mask>
    os.makedirs(OUT, exist_ok=True)
    for key, spec in OPEN_CLIP_MODELS.items():
        make_open_clip(key, spec, TOKENIZER, vocab_size, sp)
    make_mclip(TOKENIZER, vocab_size, sp)


if __name__ == "__main__":
    main()
