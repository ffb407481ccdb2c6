#!/usr/bin/python3
"""Independent check of the fixtures labse_goldens.py and labse_models.py write: reloads
the M-CLIP LaBSE model from its stored files only (torch.load of pytorch_model.bin,
config.json, vocab.txt), runs a from-scratch functional implementation of the network
(no cn_clip or transformers code: BERT with absolute position ids 0.., token type 0,
LayerNorm eps 1e-12, exact GELU, post-norm, pad (id 0) keys masked with -inf; mean
pooling over ids != 0; LinearTransformation) on expected.json's token rows, and
compares with expected.json (cosine 1.0). The token rows are compared with
../../labse/wordpiece_cased_goldens.jsonl (same text → same row, padded with 0), and
every golden row is re-derived by a from-scratch cased WordPiece tokenizer (BERT's
basic split without lower-casing or accent stripping, greedy longest match, words of
more than 200 characters → [UNK], [CLS] … [SEP]).

Usage: /usr/bin/python3 tests/reference/labse_models_check.py [XLMR_DATA_DIR]   (default tests/data/xlmr)
The image side is also compared with ../shared/fixtures/models/tiny_quickgelu when it is there.
"""
import json
import math
import os
import sys
import unicodedata

import torch
import torch.nn.functional as F

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                                                           "xlmr")
MODEL = os.path.join(ROOT, "models", "mclip_labse")
LABSE = os.path.join(ROOT, "labse")
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")


# ---- a cased WordPiece tokenizer, from scratch ---------------------------------------

def is_cjk(cp):
    return any(a <= cp <= b for a, b in ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                                         (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)))


def is_punct(c):
    cp = ord(c)
    return 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126 or \
        unicodedata.category(c).startswith("P")


def words_of(text):
    """BERT's basic split, cased: nothing is lower-cased, normalized or stripped of accents.
    Spaces: " \\t\\n\\r" and Zs (_is_whitespace), and what str.split() splits on (Zl, Zp)."""
    out, cur = [], ""
    for c in text:
        cat = unicodedata.category(c)
        if c in " \t\n\r" or cat == "Zs":
            kind = "space"
        elif ord(c) in (0, 0xFFFD) or cat in ("Cc", "Cf"):
            continue  # dropped (tab, newline and CR were caught above as spaces)
        elif c.isspace():
            kind = "space"  # U+2028, U+2029: Python's str.split() in whitespace_tokenize splits there
        elif is_cjk(ord(c)) or is_punct(c):
            kind = "alone"
        else:
            cur += c
            continue
        if cur:
            out.append(cur)
        cur = ""
        if kind == "alone":
            out.append(c)
    if cur:
        out.append(cur)
    return out


def wordpiece_row(vocab, text):
    ids = [vocab["[CLS]"]]
    for w in words_of(text):
        if len(w) > 200:
            ids.append(vocab["[UNK]"])
            continue
        pieces, start = [], 0
        while start < len(w):
            for end in range(len(w), start, -1):
                piece = ("##" if start else "") + w[start:end]
                if piece in vocab:
                    pieces.append(vocab[piece])
                    start = end
                    break
            else:
                pieces = [vocab["[UNK]"]]
                break
        ids += pieces
    return ids + [vocab["[SEP]"]]


# ---- the network, from scratch -------------------------------------------------------

def ln(x, sd, p):
    return F.layer_norm(x, x.shape[-1:], sd[p + ".weight"], sd[p + ".bias"], 1e-12)


def bert_mean(sd, ids):
    p = "transformer."
    mask = ids != 0
    pos = torch.arange(ids.shape[1])[None].expand_as(ids)
    x = sd[p + "embeddings.word_embeddings.weight"][ids] + sd[p + "embeddings.position_embeddings.weight"][pos] \
        + sd[p + "embeddings.token_type_embeddings.weight"][0]
    x = ln(x, sd, p + "embeddings.LayerNorm")
    b, n, w = x.shape
    heads, hd = w // 64, 64
    i = 0
    while f"{p}encoder.layer.{i}.output.dense.weight" in sd:
        L = f"{p}encoder.layer.{i}."
        q, k, v = (F.linear(x, sd[L + f"attention.self.{m}.weight"], sd[L + f"attention.self.{m}.bias"])
                   .reshape(b, n, heads, hd).transpose(1, 2) for m in ("query", "key", "value"))
        s = (q @ k.transpose(-1, -2) / math.sqrt(hd)).masked_fill(~mask[:, None, None, :], float("-inf"))
        a = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, w)
        x = ln(x + F.linear(a, sd[L + "attention.output.dense.weight"], sd[L + "attention.output.dense.bias"]),
               sd, L + "attention.output.LayerNorm")
        h = F.gelu(F.linear(x, sd[L + "intermediate.dense.weight"], sd[L + "intermediate.dense.bias"]))
        x = ln(x + F.linear(h, sd[L + "output.dense.weight"], sd[L + "output.dense.bias"]), sd, L + "output.LayerNorm")
        i += 1
    m = mask.unsqueeze(-1).float()
    return (x * m).sum(1) / m.sum(1), i


def compare(name, got, want, tol):
    want = torch.tensor(want)
    cos = F.cosine_similarity(got, want, dim=-1).min().item()
    err = (got - want).abs().max().item() / want.abs().max().item()
    ok = cos > 1 - 1e-6 and err < tol
    print(f"  {name}: min cos {cos:.9f}, max |diff| / max |want| {err:.2e} {'ok' if ok else 'FAIL'}")
    return ok


def main():
    ok = True
    vocab_lines = open(os.path.join(LABSE, "vocab.txt"), encoding="utf-8").read().split("\n")
    assert vocab_lines[-1] == ""
    vocab = {t: i for i, t in enumerate(vocab_lines[:-1])}
    ok &= len(vocab) == len(vocab_lines) - 1
    ok &= [vocab[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [0, 100, 101, 102, 103]
    ok &= open(os.path.join(MODEL, "vocab.txt"), "rb").read() == open(os.path.join(LABSE, "vocab.txt"), "rb").read()

    # The goldens follow the cased WordPiece rule above.
    goldens = {}
    n_long = 0
    for line in open(os.path.join(LABSE, "wordpiece_cased_goldens.jsonl"), encoding="utf-8"):
        g = json.loads(line)
        goldens[g["text"]] = g["ids"]
        n_long += len(g["ids"]) > 512
        if wordpiece_row(vocab, g["text"]) != g["ids"]:
            ok = False
            print(f"golden row of {g['text'][:40]!r} differs from the cased WordPiece rule FAIL")
    print(f"labse: {len(goldens)} golden rows re-derived, {n_long} longer than 512 ids")

    print("mclip_labse")
    e = json.load(open(os.path.join(MODEL, "expected.json")))
    cfg = json.load(open(os.path.join(MODEL, "config.json")))
    tok_cfg = json.load(open(os.path.join(MODEL, "tokenizer_config.json")))
    ok &= cfg["modelBase"] == "setu4993/LaBSE" and cfg["model_type"] == "M-CLIP"
    ok &= tok_cfg == {"do_lower_case": False, "tokenizer_class": "BertTokenizer", "model_max_length": 512}
    sd = torch.load(os.path.join(MODEL, "pytorch_model.bin"))
    word = sd["transformer.embeddings.word_embeddings.weight"]
    ok &= tuple(word.shape) == (len(vocab), cfg["transformerDimensions"])
    ok &= tuple(sd["transformer.embeddings.position_embeddings.weight"].shape) == (512, 192)
    ok &= tuple(sd["transformer.embeddings.token_type_embeddings.weight"].shape) == (2, 192)
    ok &= tuple(sd["transformer.pooler.dense.weight"].shape) == (192, 192)
    ok &= tuple(sd["LinearTransformation.weight"].shape) == (cfg["numDims"], cfg["transformerDimensions"])
    ok &= all(v.dtype == torch.float32 for k, v in sd.items() if not k.endswith("position_ids"))
    ids = torch.tensor(e["tokens"])
    ok &= ids.shape[1] == e["context_length"] <= 512
    pooled, layers = bert_mean(sd, ids)
    ok &= layers == 2
    txt = F.linear(pooled, sd["LinearTransformation.weight"], sd["LinearTransformation.bias"])
    img = torch.tensor(e["image_features"])
    scale = e["logit_scale"]
    ok &= compare("text_features", txt, e["text_features"], 1e-4)
    logits = scale * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
    ok &= compare("logits_per_image", logits, e["logits_per_image"], 1e-4)
    ok &= (logits.softmax(-1) - torch.tensor(e["probs"])).abs().max().item() < 1e-5
    pair_file = os.path.join(SHARED, "fixtures", "models", "tiny_quickgelu", "expected.json")
    if os.path.exists(pair_file):  # the image side is tiny_quickgelu's, as it is
        pair = json.load(open(pair_file))
        same = e["image_features"] == pair["image_features"][:6] and e["images"] == pair["images"][:6] \
            and e["logit_scale"] == pair["logit_scale"] and e["pair"] == "shared/fixtures/models/tiny_quickgelu"
        print(f"  image side = tiny_quickgelu's first six images: {'ok' if same else 'FAIL'}")
        ok &= same
    # The token rows are the goldens' rows for the same texts, padded with 0.
    for text, row in zip(e["texts"], e["tokens"]):
        want = goldens[text]
        same = row == want + [0] * (len(row) - len(want))
        ok &= same
        if not same:
            print(f"mclip_labse: token row of {text!r} differs from wordpiece_cased_goldens.jsonl FAIL")
    ok &= e["tokens"][-2] != e["tokens"][-1]  # "Paris in SPRING" / "paris in spring"
    print("all ok" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
