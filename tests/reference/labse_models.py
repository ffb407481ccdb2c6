#!/usr/bin/python3
"""Makes clipkit's LaBSE M-CLIP fixture: a random-weight M-CLIP text model shaped as
M-CLIP/LABSE-Vit-L-14 (MultilingualCLIP with modelBase setu4993/LaBSE: a BertModel, mean
pooling, LinearTransformation), on Debian's python3-torch 1.13. Like the XLM-R M-CLIP
fixture (xlmr_models.py, models/mclip) it has no image tower and pairs with
SHARED_DIR/fixtures/models/tiny_quickgelu.

Usage:
  /usr/bin/python3 tests/reference/labse_models.py CHINESE_CLIP_DIR SHARED_DIR OUT_DIR
    CHINESE_CLIP_DIR  holds cn_clip/ (github.com/OFA-Sys/Chinese-CLIP, commit 31863c7):
                      git --git-dir=<Chinese-CLIP> archive HEAD cn_clip | tar -x
    SHARED_DIR        ../shared (M-CLIP's image side: SHARED_DIR/fixtures/models/
                      tiny_quickgelu/expected.json)
    OUT_DIR           tests/data/xlmr/models  (writes OUT_DIR/mclip_labse)
The tokenizer is tests/data/xlmr/labse/vocab.txt (labse_goldens.py: a small cased
WordPiece vocabulary, BERT's layout, [PAD] 0, [CLS] 101, [SEP] 102); the token rows are
made by labse_goldens.labse_ids (cn_clip's FullTokenizer(vocab, do_lower_case=False),
[CLS] … [SEP]), the rule of tests/data/xlmr/labse/wordpiece_cased_goldens.jsonl.

What is upstream and what is mirrored (transformers is not installable here):
  * LaBSE's BertModel = cn_clip's BertModel, IMPORTED (modeling_bert.py, the Hugging Face
    BERT code Chinese-CLIP ships: post-norm, exact erf GELU, LayerNorm eps from the
    config = 1e-12 as LaBSE's config.json, absolute position ids 0, 1, … for every row
    (pads included: BertEmbeddings' default, as transformers' position_ids[:, :seq_len]),
    token type 0 (type_vocab_size 2 as LaBSE; the tokenizer's token_type_ids are all 0
    for one sentence), pad keys get -10000 added before the softmax from the
    attention_mask (transformers 4.20 adds finfo.min; both are exactly 0 after the fp32
    softmax)). Its parameter names are transformers' BertModel's (embeddings.*,
    encoder.layer.N.*). cn_clip's BertModel builds no pooler; BertPooler (imported) is
    attached as transformer.pooler so that transformer.pooler.dense.* are in the file as
    in the released one (AutoModel builds BertModel with add_pooling_layer=True); it is
    unused: M-CLIP reads transformer(...)[0].
  * M-CLIP's pt_multilingual_clip.py MultilingualCLIP.forward, MIRRORED in
    MultilingualClip.forward: txt_tok = tokenizer(txt, padding=True) (no truncation, no
    max_length; padded with [PAD] 0 to the longest row), embs = transformer(**txt_tok)[0]
    (input_ids, token_type_ids = 0, attention_mask), att = txt_tok['attention_mask'],
    embs = (embs * att.unsqueeze(2)).sum(1) / att.sum(1)[:, None],
    LinearTransformation (Linear with bias).

Random weights (seeded 24), drawn as xlmr_models.randomize draws them: matrices with std
1/sqrt(fan_in), embeddings with std 1 (every row, [PAD]'s too), 1-D parameters perturbed
by N(0, 0.2) away from their init (so a loader that swaps or drops one cannot pass).
The file also carries the int64 buffer transformer.embeddings.position_ids [1, 512]
that transformers < 4.31 saved with every BERT model (the released M-CLIP files,
transformers 4.20.0, have it; so does models/mclip); it is not a parameter.

mclip_labse (Hugging Face folder): config.json (M-CLIP's MultilingualCLIP config,
  modelBase "setu4993/LaBSE"), pytorch_model.bin (torch.save of the state dict, fp32:
  transformer.embeddings.{word,position,token_type}_embeddings.weight,
  transformer.embeddings.LayerNorm.*, transformer.embeddings.position_ids,
  transformer.encoder.layer.N.*, transformer.pooler.dense.*, LinearTransformation.*),
  vocab.txt (a copy of tests/data/xlmr/labse/vocab.txt), tokenizer_config.json
  ({"do_lower_case": false, "tokenizer_class": "BertTokenizer", "model_max_length": 512}).
  Text width 192 (3 heads of 64), 2 layers, intermediate 144, 512 positions, type vocab 2,
  vocab = the lines of vocab.txt; transformerDimensions 192 → numDims 32 (tiny_quickgelu's
  embed_dim). CHOICE: fp32 as the released files; 3.5 MB, over the ~2.5 MB aimed at:
  without the word embeddings the tower is already 2.2 MB (2 layers 1.64 MB, 512
  positions 0.39 MB, the unused pooler 0.15 MB), so 2.5 MB would leave room for ~380
  vocabulary lines, too few for the scripts the goldens cover; the vocabulary was cut
  to 1690 lines instead (0.77 KB a line).

expected.json keys (as models/mclip's): generator, pair (the image model whose
image_features / logit_scale it uses), images (tiny_quickgelu's first six), texts
(xlmr_tokenizers.MODEL_TEXTS + the cased pair "Paris in SPRING" / "paris in spring"),
tokens (each row [CLS] … [SEP], padded with 0 to the longest row of the batch),
context_length (that longest row), tokenizer, config (config.json + "text": the BERT
config the loader infers from tensor shapes, heads = width / 64), image_features,
text_features (not normalized), logit_scale (exp), logits_per_image (scale·cos), probs
(softmax over the texts). The attention mask is the tokenizer's: 1 over each row's own
ids, which here is ids != 0 (no caption yields [PAD]: FullTokenizer splits a literal
"[PAD]").
Check: tests/reference/labse_models_check.py (independent functional re-implementation).
"""
import json
import math
import os
import shutil
import sys

CN_CLIP, SHARED, OUT = sys.argv[1:4]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, CN_CLIP]

import torch  # noqa: E402
from torch import nn  # noqa: E402

from cn_clip.clip import bert_tokenizer  # noqa: E402
from cn_clip.clip.configuration_bert import BertConfig  # noqa: E402
from cn_clip.clip.modeling_bert import BertModel, BertPooler  # noqa: E402
from labse_goldens import CASED_PAIR, labse_ids  # noqa: E402
from xlmr_tokenizers import MODEL_TEXTS  # noqa: E402

VOCAB = os.path.join(HERE, "..", "data", "xlmr", "labse", "vocab.txt")
TEXTS = MODEL_TEXTS + CASED_PAIR
PAD = 0
PAIR = "shared/fixtures/models/tiny_quickgelu"
MCLIP_LABSE = dict(seed=24, num_dims=32, text=dict(hidden_size=192, num_attention_heads=3, num_hidden_layers=2,
                                                   intermediate_size=144, max_position_embeddings=512))


def labse_config(vocab_size, text):
    """setu4993/LaBSE's BertConfig at these sizes: eps 1e-12, type vocab 2, exact GELU."""
    return BertConfig(vocab_size_or_config_json_file=vocab_size, hidden_act="gelu", type_vocab_size=2,
                      layer_norm_eps=1e-12, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **text)


class MultilingualClip(nn.Module):
    """M-CLIP's pt_multilingual_clip.MultilingualCLIP (transformer = LaBSE's BertModel with
    its pooler, LinearTransformation)."""

    def __init__(self, vocab_size, text, num_dims):
        super().__init__()
        self.transformer = BertModel(labse_config(vocab_size, text))
        self.transformer.pooler = BertPooler(self.transformer.config)  # in the file, unused
        self.LinearTransformation = nn.Linear(text["hidden_size"], num_dims)

    def forward(self, input_ids, attention_mask):
        # transformer(**txt_tok)[0]: input_ids, token_type_ids (all 0), attention_mask;
        # position ids: BertEmbeddings' default arange(seq_len).
        embs = self.transformer(input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids))[0]
        att = attention_mask
        embs = (embs * att.unsqueeze(2)).sum(dim=1) / att.sum(dim=1)[:, None]
        return self.LinearTransformation(embs)


# ---- weights and files (as xlmr_models.py) ---------------------------------------------

def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = 1 if name.endswith("embeddings.weight") else p.shape[1]
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))
            else:
                p.add_(torch.randn(p.shape, generator=g) * 0.2)


def file_state_dict(model, prefix_of_transformer, max_positions):
    """The model's state dict plus BERT's int64 position_ids buffer, as the released files."""
    sd = {}
    for k, v in model.state_dict().items():
        sd[k] = v.clone()
        if k == prefix_of_transformer + "embeddings.LayerNorm.bias":
            sd[prefix_of_transformer + "embeddings.position_ids"] = torch.arange(max_positions)[None]
    return sd


def scores(img, txt, scale):
    logits = scale * torch.nn.functional.normalize(img, dim=-1) @ torch.nn.functional.normalize(txt, dim=-1).T
    return logits, logits.softmax(dim=-1)


def main():
    spec = MCLIP_LABSE
    full = bert_tokenizer.FullTokenizer(vocab_file=VOCAB, do_lower_case=False)
    vocab_size = sum(1 for _ in open(VOCAB, encoding="utf-8"))
    assert vocab_size == len(full.vocab)  # no repeated token: ids are the line numbers
    torch.manual_seed(spec["seed"])
    model = MultilingualClip(vocab_size, spec["text"], spec["num_dims"])
    randomize(model, spec["seed"])
    model.eval()
    root = os.path.join(OUT, "mclip_labse")
    os.makedirs(root, exist_ok=True)
    config = {"_name_or_path": "M-CLIP/LABSE-Vit-L-14", "architectures": ["MultilingualCLIP"],
              "model_type": "M-CLIP", "modelBase": "setu4993/LaBSE",
              "transformerDimensions": spec["text"]["hidden_size"], "numDims": spec["num_dims"],
              "torch_dtype": "float32", "transformers_version": "4.20.0"}
    json.dump(config, open(os.path.join(root, "config.json"), "w"), indent=2)
    tok_config = {"do_lower_case": False, "tokenizer_class": "BertTokenizer", "model_max_length": 512}
    json.dump(tok_config, open(os.path.join(root, "tokenizer_config.json"), "w"), indent=2)
    sd = file_state_dict(model, "transformer.", spec["text"]["max_position_embeddings"])
    path = os.path.join(root, "pytorch_model.bin")
    torch.save(sd, path)
    shutil.copyfile(VOCAB, os.path.join(root, "vocab.txt"))

    rows = [labse_ids(full, t) for t in TEXTS]  # M-CLIP: no cleaning, no truncation
    longest = max(len(r) for r in rows)
    assert 77 < longest <= spec["text"]["max_position_embeddings"]
    assert all(PAD not in r for r in rows)
    assert rows[-2] != rows[-1], "the cased pair must tokenize differently"
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
        "generator": "tests/reference/labse_models.py (M-CLIP pt_multilingual_clip.py mirrored, cn_clip 31863c7 "
                     "BertModel as LaBSE's BertModel, torch " + torch.__version__ + ")",
        "pair": PAIR, "images": images, "texts": TEXTS, "tokens": tokens, "context_length": longest,
        "tokenizer": "vocab.txt",
        "config": dict(config, text=dict(spec["text"], vocab_size=vocab_size, type_vocab_size=2,
                                         layer_norm_eps=1e-12, pad_token_id=PAD, hidden_act="gelu",
                                         position_embedding_type="absolute", do_lower_case=False)),
        "image_features": img.tolist(), "text_features": txt.tolist(), "logit_scale": scale,
        "logits_per_image": logits.tolist(), "probs": probs.tolist(),
    }
    json.dump(expected, open(os.path.join(root, "expected.json"), "w"))
    print(f"mclip_labse: {sum(p.numel() for p in model.parameters())} parameters, vocab {vocab_size}, "
          f"{os.path.basename(path)} {os.path.getsize(path)} bytes, rows up to {longest} ids")


if __name__ == "__main__":
    main()
