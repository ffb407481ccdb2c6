#!/usr/bin/python3
"""Builds a random-weight open_clip xlm-roberta-base-ViT-B-32 (the laion model's text tower:
XLM-RoBERTa base + mean pooling + 'mlp' projection) for the XLM-R speed comparison
(bench/xlmr_compare), on Debian's python3-torch 1.13, and writes:

  OUT/open_clip_config.json        model_cfg (text_cfg: hf_model_name xlm-roberta-base,
                                   hf_pooler_type mean_pooler, hf_proj_type mlp) + preprocess_cfg
  OUT/open_clip_model.safetensors  visual.*, text.transformer.* (XLMRobertaModel names),
                                   text.proj.0/2.weight, logit_scale; F32
  OUT/sentencepiece.bpe.model      clipkit's test tokenizer (tests/data/xlmr/tokenizer: 1000
                                   pieces): only so that the folder is complete; the benchmark
                                   feeds token ids
  OUT/onnx/xlmr_text.onnx          input "tokens" int64 [batch, seq] (pad 1) → "embedding"
                                   [batch, 512]: open_clip's HFTextEncoder (mask = ids != 1
                                   computed in the graph, RoBERTa position ids from the mask,
                                   mean pooling over the mask, mlp projection); opset 14,
                                   dynamic batch and seq
  OUT/check/tokens.i64             4 token rows of 77 (lengths 8, 20, 77, 3), pad 1
  OUT/check/short.i64              the first row cut to its 8 real tokens ([1, 8])
  OUT/check/expected.json          PyTorch's embeddings of both (not normalized)

Text tower: xlm-roberta-base's dimensions (width 768, 12 layers, 12 heads, intermediate
3072, 514 positions, type vocabulary 1, LayerNorm eps 1e-5, exact GELU, post-norm), but a
reduced vocabulary of VOCAB = 32002 rows instead of 250002 (files 4× smaller). The time
per query does not depend on the vocabulary (one row lookup per token); only the load
time and the file size do. Image tower: ViT-B/32 geometry (224 px, patch 32) but a tiny
width-128, 1-block ViT; only the text side is timed.

What is upstream and what is mirrored is as tests/reference/xlmr_models.py (which makes
clipkit's XLM-R fixtures): XLMRobertaModel = cn_clip's BertModel (commit 31863c7; the
Hugging Face BERT code) with RoBERTa's inputs (eps 1e-5, token type 0, position ids from
transformers' create_position_ids_from_input_ids), open_clip v2.24.0's MeanPooler and
image tower, open_clip's HFTextEncoder.forward mirrored. Random weights (seeded):
matrices with std 1/sqrt(fan_in), embeddings std 1, 1-D parameters perturbed by N(0, 0.2).

Usage:
  /usr/bin/python3 bench/make_xlmr_base.py OPEN_CLIP_SRC CHINESE_CLIP_DIR FTFY_SRC OUT
  e.g. /usr/bin/python3 bench/make_xlmr_base.py /tmp/oc/src /tmp/cnclip /tmp/ftfy /tmp/xlmr-base
(the three sources as in tests/reference/xlmr_models.py). Weights are ~0.45 GB and the
ONNX file as much: keep them out of the repository.
"""
import json
import math
import os
import shutil
import struct
import sys
import time

OPEN_CLIP, CN_CLIP, FTFY, OUT = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [OPEN_CLIP, CN_CLIP, FTFY]

import torch  # noqa: E402
from torch import nn  # noqa: E402

from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD  # noqa: E402
from open_clip.hf_model import MeanPooler  # noqa: E402
from open_clip.model import _build_vision_tower  # noqa: E402
from open_clip.version import __version__ as OPEN_CLIP_VERSION  # noqa: E402
from cn_clip.clip.configuration_bert import BertConfig  # noqa: E402
from cn_clip.clip.modeling_bert import BertModel  # noqa: E402

OPSET = 14
PAD = 1
CONTEXT = 77
VOCAB = 32002
EMBED_DIM = 512
TEXT = dict(hidden_size=768, num_attention_heads=12, num_hidden_layers=12, intermediate_size=3072,
            max_position_embeddings=514)
VISION = {"image_size": 224, "layers": 1, "width": 128, "patch_size": 32}
TOKENIZER = os.path.join(HERE, "..", "tests", "data", "xlmr", "tokenizer", "sentencepiece.bpe.model")


class HiddenState:  # the BaseModelOutput field MeanPooler reads
    def __init__(self, last_hidden_state):
        self.last_hidden_state = last_hidden_state


class OpenClipText(nn.Module):
    """open_clip's HFTextEncoder (hf_model.py) around XLMRobertaModel (cn_clip's BertModel
    with RoBERTa's inputs), proj 'mlp', mean pooler: its forward is the exported graph."""

    def __init__(self):
        super().__init__()
        self.transformer = BertModel(BertConfig(vocab_size_or_config_json_file=VOCAB, hidden_act="gelu",
                                                type_vocab_size=1, layer_norm_eps=1e-5, hidden_dropout_prob=0.0,
                                                attention_probs_dropout_prob=0.0, **TEXT))
        self.pooler = MeanPooler()
        d = TEXT["hidden_size"]
        hidden = (d + EMBED_DIM) // 2
        self.proj = nn.Sequential(nn.Linear(d, hidden, bias=False), nn.GELU(),
                                  nn.Linear(hidden, EMBED_DIM, bias=False))

    def forward(self, tokens):
        attn_mask = (tokens != PAD).long()
        # transformers' create_position_ids_from_input_ids (padding_idx 1)
        position_ids = torch.cumsum(attn_mask, dim=1) * attn_mask + PAD
        x = self.transformer(tokens, attention_mask=attn_mask, token_type_ids=torch.zeros_like(tokens),
                             position_ids=position_ids)[0]
        return self.proj(self.pooler(HiddenState(x), attn_mask))


class OpenClipXlmr(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = _build_vision_tower(EMBED_DIM, VISION, quick_gelu=False)
        self.text = OpenClipText()
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "logit_scale":
                continue
            if p.dim() >= 2:
                fan_in = 1 if name.endswith("embeddings.weight") else p.shape[1]
                if name == "visual.conv1.weight":
                    fan_in = p[0].numel()
                elif name == "visual.proj":
                    fan_in = p.shape[0]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            else:
                p.add_(torch.randn(p.shape, generator=g) * 0.2)


def write_safetensors(path, tensors):
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


def main():
    t0 = time.perf_counter()
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "check"), exist_ok=True)
    torch.manual_seed(31)
    model = OpenClipXlmr()
    randomize(model, 31)
    model.eval()
    model_cfg = {"embed_dim": EMBED_DIM, "vision_cfg": VISION,
                 "text_cfg": {"hf_model_name": "xlm-roberta-base", "hf_tokenizer_name": "xlm-roberta-base",
                              "hf_pooler_type": "mean_pooler", "hf_proj_type": "mlp"}}
    with open(os.path.join(OUT, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": model_cfg,
                   "preprocess_cfg": {"mean": list(OPENAI_DATASET_MEAN), "std": list(OPENAI_DATASET_STD),
                                      "interpolation": "bicubic", "resize_mode": "shortest"}}, f, indent=2)
    write_safetensors(os.path.join(OUT, "open_clip_model.safetensors"), model.state_dict())
    shutil.copyfile(TOKENIZER, os.path.join(OUT, "sentencepiece.bpe.model"))
    text_params = sum(p.numel() for p in model.text.parameters())
    print(f"make_xlmr_base: text tower {text_params / 1e6:.1f} M parameters (vocabulary {VOCAB}), "
          f"open_clip {OPEN_CLIP_VERSION}, torch {torch.__version__}", file=sys.stderr)

    gen = torch.Generator().manual_seed(1)
    rows = []
    for length in (8, 20, 77, 3):
        ids = [0] + torch.randint(4, VOCAB, (length - 2,), generator=gen).tolist() + [2]
        rows.append(ids + [PAD] * (CONTEXT - length))
    tokens = torch.tensor(rows, dtype=torch.int64)
    short = tokens[:1, :8].contiguous()
    tokens.numpy().astype("<i8").tofile(os.path.join(OUT, "check", "tokens.i64"))
    short.numpy().astype("<i8").tofile(os.path.join(OUT, "check", "short.i64"))
    with torch.no_grad():
        expected = {"text": model.text(tokens).flatten().tolist(), "short": model.text(short).flatten().tolist(),
                    "torch": torch.__version__, "open_clip": OPEN_CLIP_VERSION}
        with open(os.path.join(OUT, "check", "expected.json"), "w") as f:
            json.dump(expected, f)
        path = os.path.join(OUT, "onnx", "xlmr_text.onnx")
        torch.onnx.export(model.text, (tokens[:2],), path + ".tmp", opset_version=OPSET, do_constant_folding=True,
                          input_names=["tokens"], output_names=["embedding"],
                          dynamic_axes={"tokens": {0: "batch", 1: "seq"}, "embedding": {0: "batch"}})
        os.replace(path + ".tmp", path)
    print(f"make_xlmr_base: wrote {OUT} (safetensors, ONNX opset {OPSET}, check inputs) in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
