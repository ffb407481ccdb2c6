#!/usr/bin/python3
"""Writes tests/data/siglip/token_goldens.jsonl: SigLIP / SigLIP 2 token rows made by
the upstream code, for clipkit's SentencePiece tokenizer tests (tests/text/).

Usage (Debian's /usr/bin/python3, which has python3-sentencepiece, python3-torch,
python3-regex):
  tests/reference/siglip_token_goldens.py OPEN_CLIP_SRC FTFY_SRC SHARED_DIR OUT_FILE
    OPEN_CLIP_SRC  open_clip's src/ folder, e.g. from `git archive v2.24.0 src`
    FTFY_SRC       a python-ftfy v6.3.1 checkout (the folder holding ftfy/)
    SHARED_DIR     ../shared (texts: SHARED_DIR/fixtures/tokenizer_cases.jsonl)
    OUT_FILE       tests/data/siglip/token_goldens.jsonl

What is upstream and what is not:
  * open_clip: basic_clean and canonicalize_text are IMPORTED from OPEN_CLIP_SRC's
    open_clip/tokenizer.py (with ftfy from FTFY_SRC), i.e. open_clip's
    _clean_canonicalize = canonicalize_text(basic_clean(x)).
  * ids: SentencePiece's own Python module (Debian's python3-sentencepiece, the same
    library clipkit links) over the committed models in tests/data/siglip/tokenizers/,
    with the rows built as open_clip's SigLipTokenizer / HFTokenizer do through
    transformers: pieces, EOS appended, cut so that EOS stays last, right-padded.
      "siglip"  unigram.model,   open_clip canonicalize, no BOS, EOS 1, pad 1 (SigLIP v1)
      "siglip2" gemma_bpe.model, open_clip canonicalize, no BOS, EOS 1, pad 0 (SigLIP 2)
  * "hf": transformers' SiglipTokenizer (slow, sentencepiece-based; transformers 4.x,
    src/transformers/models/siglip/tokenization_siglip.py and the base class's
    PreTrainedTokenizer.tokenize in tokenization_utils.py) over unigram.model.
    transformers is not installable here (no Debian package, no network), so
    hf_siglip_ids below MIRRORS its code path line by line (comments name each
    upstream step); sentencepiece itself does the segmentation.

Each output line: {"text", "case": "fixture"|"extra", "siglip": ids, "siglip2": ids,
"hf": ids}; ids are the row before padding (pieces + EOS, at most 64), so the 64-id
row is ids + [pad] * (64 - len(ids)) with pad 1 (siglip, hf) or 0 (siglip2).
Texts that are not valid UTF-8 in the fixture file (lone surrogates) are skipped.
"""
import importlib.util
import json
import pathlib
import re as std_re
import string
import sys
import types

import sentencepiece as spm

CONTEXT = 64


def load_open_clip_tokenizer(open_clip_src):
    # Import only open_clip/tokenizer.py (the package __init__ pulls in the models).
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", f"{open_clip_src}/open_clip/tokenizer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(pieces, eos, bos=None):
    """[BOS] pieces EOS, cut so that EOS stays last (HF truncation=True, max_length)."""
    head = [bos] if bos is not None else []
    body = pieces[: CONTEXT - len(head) - 1]
    return head + body + [eos]


# ---- transformers SiglipTokenizer, mirrored (see the module docstring) -------------

def hf_no_dummy_prefix(model_bytes):
    """SiglipTokenizer.get_spm_processor: model.normalizer_spec.add_dummy_prefix = False
    (a protobuf MergeFrom; appending a NormalizerSpec {add_dummy_prefix: false} as field 3
    of ModelProto is the same merge)."""
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(model_bytes + b"\x1a\x02\x18\x00")
    return sp


def hf_siglip_ids(sp, text):
    SPIECE_UNDERLINE = "\u2581"
    unk_token, eos_token = "<unk>", "</s>"  # SiglipTokenizer defaults (pad_token is "</s>" too)
    special = [eos_token, unk_token]         # all_special_tokens
    # SiglipTokenizer.tokenize
    text = SPIECE_UNDERLINE + text.replace(SPIECE_UNDERLINE, " ")
    # PreTrainedTokenizer.tokenize: do_lower_case=True lowers every non-special char
    # one at a time ("(.+?)": per character, so no final-sigma context; "." skips "\n").
    pattern = r"(" + r"|".join(std_re.escape(s) for s in special) + r")|" + r"(.+?)"
    text = std_re.sub(pattern, lambda m: m.groups()[0] or m.groups()[1].lower(), text)
    # tokens_trie.split on the special tokens (leftmost match; neither is a prefix of
    # the other), then each AddedToken(lstrip=True, rstrip=True) eats the whitespace
    # beside it.
    tokens = std_re.split("(" + "|".join(std_re.escape(s) for s in special) + ")", text)
    for i, token in enumerate(tokens):
        if token in special:
            if i + 1 < len(tokens) and tokens[i + 1]:
                tokens[i + 1] = tokens[i + 1].lstrip()
            if i > 0 and tokens[i - 1]:
                tokens[i - 1] = tokens[i - 1].rstrip()
    unk_token_length = len(sp.encode(unk_token))
    pieces = []
    for token in tokens:
        if not token:
            continue
        if token in special:
            pieces.append(token)
            continue
        # SiglipTokenizer._tokenize: canonicalize_text (remove string.punctuation,
        # re.sub(r"\s+", " "), strip), then encode "<unk>" + text and drop the unk pieces.
        t = token.translate(str.maketrans("", "", string.punctuation))
        t = std_re.sub(r"\s+", " ", t)
        t = t.strip()
        encoded = sp.encode(unk_token + t, out_type=str)
        pieces.extend(encoded[unk_token_length:] if len(encoded) >= unk_token_length else encoded)
    # SiglipTokenizer.tokenize: a leading lone "▁" before a special token is dropped.
    if len(pieces) > 1 and pieces[0] == SPIECE_UNDERLINE and pieces[1] in special:
        pieces = pieces[1:]
    # convert_tokens_to_ids: added tokens by their id, the rest by piece_to_id.
    ids = [sp.eos_id() if p == eos_token else sp.unk_id() if p == unk_token else sp.piece_to_id(p) for p in pieces]
    # prepare_for_model: truncation keeps room for the one special token, then
    # build_inputs_with_special_tokens -> _add_eos_if_not_present.
    ids = ids[: CONTEXT - 1]
    if not (ids and ids[-1] == sp.eos_id()):
        ids = ids + [sp.eos_id()]
    return ids


# ---- the texts -----------------------------------------------------------------------

def extra_cases():
    long_words = " ".join(f"word{i} tree_{i}, river." for i in range(60))
    return [
        "",
        "   \t  ",
        "!!!",
        "...?!;:'\"",
        "_",
        "___",
        "a_photo_of_a_dog",
        "snake_case__label with  spaces",
        "__init__.py",
        "hello, world! (it's) [fine] {ok} <tag> a/b\\c @#$%^&*~`|",
        "A Photo Of A CAT",
        "ΟΔΟΣ Σ σ ΣΑΣ",
        "İstanbul DİYARBAKIR",
        "Straße STRASSE",
        "‘curly’ “quotes” — dash – en",
        "&amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; &nbsp;x &quot;q&quot;",
        "tab\tand\nnewline\r\nand\u3000ideographic\u00a0nbsp",
        "  leading and trailing  ",
        "x\u2581y \u2581start",
        "\u2581",
        "</s> at start",
        "end </s>",
        "middle <unk> token </S> upper",
        "<pad> pad token",
        "emoji 🦄🍕😀 pizza 👩‍👩‍👧 flag 🇯🇵",
        "🦄",
        "日本語のテキスト 中文 한국어",
        "fullwidth ＡＢＣ１２３ ｶﾀｶﾅ",
        "ligature ﬁne ﬂow",
        "e\u0301 combining cafe\u0301",
        "numbers 1234567890 3.14159 1,000,000",
        "control\x01chars\x7f and \x1c sep",
        "zero\u200bwidth\u200djoiner",
        long_words,
        " ".join(["a"] * 63),
        " ".join(["a"] * 62),
        " ".join(["a"] * 64),
        "photo " * 80,
        "🦄" * 40,
    ]


def main():
    open_clip_src, ftfy_src, shared, out_file = sys.argv[1:5]
    sys.path.insert(0, ftfy_src)
    oc = load_open_clip_tokenizer(open_clip_src)

    def clean_canonicalize(x):  # open_clip's _clean_canonicalize, from its own functions
        return oc.canonicalize_text(oc.basic_clean(x))

    base = pathlib.Path(__file__).resolve().parents[1] / "data/siglip/tokenizers"
    unigram_bytes = open(f"{base}/unigram.model", "rb").read()
    unigram = spm.SentencePieceProcessor(model_proto=unigram_bytes)
    gemma = spm.SentencePieceProcessor(model_file=f"{base}/gemma_bpe.model")
    hf = hf_no_dummy_prefix(unigram_bytes)
    assert unigram.eos_id() == 1 and unigram.bos_id() == -1 and unigram.pad_id() == 0
    assert gemma.eos_id() == 1 and gemma.bos_id() == 2 and gemma.pad_id() == 0

    texts = []
    for line in open(f"{shared}/fixtures/tokenizer_cases.jsonl", encoding="utf-8"):
        texts.append((json.loads(line)["text"], "fixture"))
    texts += [(t, "extra") for t in extra_cases()]

    written = 0
    with open(out_file, "w", encoding="utf-8") as out:
        for text, kind in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                continue
            cleaned = clean_canonicalize(text)
            record = {
                "text": text,
                "case": kind,
                "siglip": row(unigram.encode(cleaned), unigram.eos_id()),
                "siglip2": row(gemma.encode(cleaned), gemma.eos_id()),
                "hf": hf_siglip_ids(hf, text),
            }
            for key in ("siglip", "siglip2", "hf"):
                assert 1 <= len(record[key]) <= CONTEXT, (text, key)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    print(f"{out_file}: {written} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
