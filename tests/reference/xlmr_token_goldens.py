#!/usr/bin/python3
"""Writes tests/data/xlmr/token_goldens.jsonl: XLM-RoBERTa token rows as open_clip's
xlm-roberta CLIP models and M-CLIP make them, for clipkit's tokenizer tests.

Usage (Debian's /usr/bin/python3, which has python3-sentencepiece and python3-regex):
  tests/reference/xlmr_token_goldens.py OPEN_CLIP_SRC FTFY_SRC SHARED_DIR OUT_FILE
    OPEN_CLIP_SRC  open_clip's src/ folder (git --git-dir=<open_clip> archive v2.24.0 src)
    FTFY_SRC       a python-ftfy v6.3.1 checkout (the folder holding ftfy/)
    SHARED_DIR     ../shared (texts: SHARED_DIR/fixtures/tokenizer_cases.jsonl)
    OUT_FILE       tests/data/xlmr/token_goldens.jsonl

The tokenizer is tests/data/xlmr/tokenizer/sentencepiece.bpe.model (xlmr_tokenizers.py).

What is upstream and what is mirrored:
  * cleaning (open_clip only): basic_clean and whitespace_clean are IMPORTED from
    OPEN_CLIP_SRC's open_clip/tokenizer.py (ftfy from FTFY_SRC): HFTokenizer's default
    clean='whitespace' is whitespace_clean(basic_clean(x)). M-CLIP does not clean.
  * segmentation: SentencePiece's own Python module (python3-sentencepiece, the library
    clipkit links) over the model above.
  * transformers' XLMRobertaTokenizer (tokenization_xlm_roberta.py and the base class's
    PreTrainedTokenizer.tokenize / prepare_for_model; transformers is not installable
    here) is MIRRORED in xlmr_ids() below, step by step:
      - the text is first split on the special tokens <s> </s> <unk> <pad> <mask>
        wherever they occur literally (transformers' added-tokens trie; the fast
        tokenizer that open_clip and M-CLIP actually get from AutoTokenizer does the same
        through its added-token matching). A literal "<s>" in a caption is therefore id 0,
        not the pieces "▁", "<", "s", ">" (lines with "case": "extra" test this). <mask>
        is AddedToken(lstrip=True), so the whitespace before it goes; transformers < 4.34
        also stripped around the other special tokens. SentencePiece removes whitespace
        at the ends of every segment anyway, and the script asserts that both variants
        give the same ids.
      - every other segment: sp.encode(segment) and the fairseq id map: <s> 0, <pad> 1,
        </s> 2, <unk> 3, SentencePiece piece i -> i + 1 (its <unk> 0 -> 3), <mask> =
        piece count + 1.
      - the row: <s> ids </s>; truncation=True with max_length L keeps <s>, the first
        L - 2 ids and </s>.
  * "open_clip": open_clip v2.24.0 HFTokenizer(max_length=77, padding='max_length',
    truncation=True) after the cleaning above; the line holds the row before padding
    (at most 77 ids); the 77-wide row is ids + [1] * (77 - len(ids)) (pad 1).
  * "mclip": M-CLIP's pt_multilingual_clip.py: tokenizer(texts, padding=True), no
    cleaning and NO truncation. Its XLM-R position table has 514 rows (padding_idx 1,
    positions start at 2), so a row longer than 512 ids makes the reference fail with
    an index error; clipkit's choice (not the reference's) is to cut such rows to 512
    ids as truncation=True, max_length=512 would (<s>, 510 pieces, </s>). The texts
    past 512 here only pin that choice. A batch is padded with 1 to its longest row.

Each output line: {"text", "case": "fixture"|"model"|"extra", "open_clip": ids,
"mclip": ids}. "fixture" = the 643 shared cases (those not valid UTF-8 are skipped),
"model" = the captions of the model fixtures (xlmr_tokenizers.MODEL_TEXTS), "extra" =
the edge cases below.
"""
import importlib.util
import json
import os
import re
import sys

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from xlmr_tokenizers import MODEL_TEXTS  # noqa: E402

MODEL = os.path.join(HERE, "..", "data", "xlmr", "tokenizer", "sentencepiece.bpe.model")
OPEN_CLIP_CONTEXT = 77
MCLIP_MAX = 512  # clipkit's choice, see the docstring
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def load_open_clip_tokenizer(open_clip_src):
    # Import only open_clip/tokenizer.py (the package __init__ pulls in the models).
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", f"{open_clip_src}/open_clip/tokenizer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- transformers XLMRobertaTokenizer, mirrored (see the module docstring) ----------

def fairseq_ids(sp):
    """XLMRobertaTokenizer's id map over a SentencePiece model: (special ids, piece map)."""
    special = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "<mask>": sp.get_piece_size() + 1}
    return special, (lambda i: i + 1 if i else 3)


def xlmr_pieces(sp, text, old_strip=False):
    special, piece_id = fairseq_ids(sp)
    parts = re.split("(" + "|".join(re.escape(s) for s in SPECIALS) + ")", text)
    for i, part in enumerate(parts):
        if part in special:
            # <mask>: AddedToken(lstrip=True); transformers < 4.34: every special token
            # that is not an AddedToken strips both sides.
            if (part == "<mask>" or old_strip) and i > 0:
                parts[i - 1] = parts[i - 1].rstrip()
            if old_strip and i + 1 < len(parts):
                parts[i + 1] = parts[i + 1].lstrip()
    ids = []
    for part in parts:
        if part in special:
            ids.append(special[part])
        elif part:
            ids.extend(piece_id(i) for i in sp.encode(part))
    return ids


def xlmr_ids(sp, text, max_length=None):
    """tokenizer(text[, max_length=L, truncation=True]).input_ids, before padding."""
    ids = xlmr_pieces(sp, text)
    assert ids == xlmr_pieces(sp, text, old_strip=True), text
    if max_length is not None:
        ids = ids[: max_length - 2]
    return [0] + ids + [2]


# ---- the texts -----------------------------------------------------------------------

def extra_cases():
    return [
        "",
        " ",
        "   \t \n  ",
        "<s>",
        "<s> literally",
        "a <s> b",
        "x<s>y</s>z",
        "</s> at start",
        "end </s>",
        "<pad><unk><mask>",
        "fill the <mask> please",
        "fill the<mask>please",
        "middle <unk> token",
        "<S> upper and < s > spaced are not special",
        "&lt;s&gt; escaped (open_clip unescapes it into <s>)",
        "<<s>>",
        "hello, world! (it's) [fine] {ok} <tag> a/b\\c @#$%^&*~`|",
        "‘curly’ “quotes” — dash – en `` '' \"",
        "&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; &nbsp;x &quot;q&quot;",
        "tab\tand\nnewline\r\nand\u3000ideographic\u00a0nbsp",
        "  leading and trailing  ",
        "x\u2581y \u2581start \u2581",
        "fullwidth ＡＢＣ１２３ ｶﾀｶﾅ ligature ﬁne",
        "e\u0301 combining cafe\u0301 café",
        "control\x01chars\x7f and \x1c sep",
        "zero\u200bwidth\u200djoiner",
        "rare 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ᚠᛇᚻ ꙮ unknown runs",
        "🦄" * 40,
        "cat " * 75,     # 75 pieces + 2 = 77: exactly fills open_clip's row
        "cat " * 76,     # one too many for open_clip
        "cat " * 100,    # > 77
        "cat " * 510,    # 510 + 2 = 512: the longest M-CLIP row that fits
        "cat " * 511,    # > 512 (clipkit cuts, the reference would fail)
        " ".join(f"word{i} 猫 кошка" for i in range(400)),  # far past 512 pieces
    ]


def main():
    open_clip_src, ftfy_src, shared, out_file = sys.argv[1:5]
    sys.path.insert(0, ftfy_src)
    oc = load_open_clip_tokenizer(open_clip_src)

    def clean(x):  # HFTokenizer(clean='whitespace'): open_clip's _clean_whitespace
        return oc.whitespace_clean(oc.basic_clean(x))

    sp = spm.SentencePieceProcessor(model_file=MODEL)
    assert (sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()) == (0, 1, 2, -1)

    texts = [(json.loads(line)["text"], "fixture")
             for line in open(f"{shared}/fixtures/tokenizer_cases.jsonl", encoding="utf-8")]
    texts += [(t, "model") for t in MODEL_TEXTS] + [(t, "extra") for t in extra_cases()]

    written, counts = 0, {"open_clip_cut": 0, "mclip_cut": 0, "special_in_text": 0, "unk": 0}
    with open(out_file, "w", encoding="utf-8") as out:
        for text, kind in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                continue
            record = {"text": text, "case": kind,
                      "open_clip": xlmr_ids(sp, clean(text), OPEN_CLIP_CONTEXT),
                      "mclip": xlmr_ids(sp, text, MCLIP_MAX)}
            assert 2 <= len(record["open_clip"]) <= OPEN_CLIP_CONTEXT and 2 <= len(record["mclip"]) <= MCLIP_MAX
            counts["open_clip_cut"] += len(xlmr_ids(sp, clean(text))) > OPEN_CLIP_CONTEXT
            counts["mclip_cut"] += len(xlmr_ids(sp, text)) > MCLIP_MAX
            counts["special_in_text"] += any(s in text for s in SPECIALS)
            counts["unk"] += 3 in record["mclip"]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    print(f"{out_file}: {written} texts, {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
