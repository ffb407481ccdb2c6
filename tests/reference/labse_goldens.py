#!/usr/bin/python3
"""A cased WordPiece vocabulary and token goldens for LaBSE's tokenizer (the text side of
M-CLIP/LABSE-Vit-L-14, whose modelBase is setu4993/LaBSE: transformers' BertTokenizer
with do_lower_case=False), made by Chinese-CLIP's own code: cn_clip/clip/bert_tokenizer.py
(FullTokenizer, BasicTokenizer, WordpieceTokenizer), imported from a checkout.

Usage (Debian's python3; bert_tokenizer.py itself needs only the standard library):
  /usr/bin/python3 tests/reference/labse_goldens.py CHINESE_CLIP_DIR SHARED_FIXTURES_DIR OUT_DIR
    CHINESE_CLIP_DIR     holds cn_clip/ (github.com/OFA-Sys/Chinese-CLIP, commit
                         31863c707501bf1605d36842f43deb78793dbc5d):
                         git --git-dir=<Chinese-CLIP> archive HEAD cn_clip | tar -x
    SHARED_FIXTURES_DIR  ../shared/fixtures (tokenizer_cases.jsonl, read here, not copied)
    OUT_DIR              tests/data/xlmr/labse

What is upstream and what is mirrored:
  * UPSTREAM, imported: cn_clip's bert_tokenizer.FullTokenizer(vocab_file,
    do_lower_case=False) does all the tokenizing (load_vocab, BasicTokenizer,
    WordpieceTokenizer, convert_tokens_to_ids). Checked in its code (and asserted below on
    "Café Über Ñandú"): BasicTokenizer.tokenize runs `token.lower()` and
    `_run_strip_accents` (NFD, drop Mn) only inside `if self.do_lower_case:`, so with
    do_lower_case=False the text is neither lower-cased nor NFD-normalized nor stripped of
    accents (a precomposed "é" stays one character, "e" + U+0301 stays two). That is what
    transformers' BasicTokenizer does for do_lower_case=False, strip_accents=None (LaBSE's
    setting): accents are stripped only when lower-casing or when strip_accents is True.
    _clean_text (drop NUL, U+FFFD and Cc/Cf controls; " \\t\\n\\r" and Zs to " "), the
    spaces around CJK ideographs and the punctuation split are the same in both. A quirk
    of both: whitespace_tokenize is Python's str.split(), which also splits at U+2028
    (Zl) and U+2029 (Zp), which _clean_text keeps (U+0085 is Cc, so it is dropped).
  * MIRRORED (labse_ids): the special-token split and the 100-character word limit
    below; the row is [CLS] + ids + [SEP] — what
    BertTokenizer's build_inputs_with_special_tokens adds and what M-CLIP's
    tokenizer(txt, padding=True) returns for one text (no max_length, no truncation).

Where transformers' BertTokenizer (LaBSE's real tokenizer) differs from FullTokenizer,
the goldens follow transformers (labse_ids mirrors it on FullTokenizer's parts):
  * max_input_chars_per_word: FullTokenizer's WordpieceTokenizer makes a word of more
    than 200 characters one [UNK] (Google BERT's value); transformers' WordpieceTokenizer
    (slow) and the tokenizers library's WordPiece (fast) use 100. Words of 101..200
    characters therefore differ; main() prints the lines where that changes the ids.
  * Special tokens written in the text: transformers does not split its special tokens
    ("[CLS]" in the text becomes id 101); FullTokenizer splits "[CLS]" into "[", "CLS",
    "]" like any other text. main() prints the lines where that applies.

Writes to OUT_DIR:
  vocab.txt   a small cased vocabulary with BERT's layout ([PAD] 0, [unused1..99],
              [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), built as wordpiece_goldens.py
              built tests/data/chinese_clip/vocab.txt but from BasicTokenizer(
              do_lower_case=False) words (no lower-casing, no accent stripping): single
              characters (those with ord % 11 == 5 left out, so that [UNK] happens), "##"
              characters (ord % 13 == 7 left out), frequent words, prefixes and "##"
              suffixes, so upper- and lower-case pieces, accented Latin, Cyrillic, Arabic,
              CJK, Hangul, kana and emoji are all there. Group sizes are smaller than
              wordpiece_goldens.py's (250 words, 200 prefixes, 300 suffixes) to keep the
              model fixture (labse_models.py: one 192-wide embedding row per line) small.
  wordpiece_cased_goldens.jsonl
              one object per text: "text", "ids" = [CLS] (101) + FullTokenizer's ids +
              [SEP] (102), no truncation: the full row, however long. clipkit cuts M-CLIP
              rows at 512 ids (LaBSE has 512 positions); main() prints the lines longer
              than 512. Two are, both EXTRAS made to be: line 699 ("猫" * 511 → 513 ids)
              and line 700 (LONG_REPEAT → 662 ids); line 698 ("猫" * 510) is exactly 512.
              The longest shared case has 102 ids. 703 lines (643 + 60), 235 with [UNK].

The texts: every text of SHARED_FIXTURES_DIR/tokenizer_cases.jsonl that is valid UTF-8
(all 643 at the time of writing), in file order, then EXTRAS (the model fixtures' texts —
xlmr_tokenizers.MODEL_TEXTS and the cased pair of labse_models.py — that are not already
among the shared ones, then mixed case, accents, scripts, emoji, controls, special tokens
written in text, long words around 100 and 200 characters, texts around 512 ids,
whitespace only). The vocabulary is built from the same texts.
"""
import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from xlmr_tokenizers import MODEL_TEXTS  # noqa: E402

CLS, SEP = "[CLS]", "[SEP]"
CASED_PAIR = ["Paris in SPRING", "paris in spring"]  # labse_models.py's texts are MODEL_TEXTS + these
LONG_REPEAT = "A photo of a Cat in PARIS, über café. " * 60

EXTRAS_OWN = [
    "Café Über Ñandú",
    "CAFÉ café Café cafe CAFE",
    "ÉCOLE école Ecole ecole",
    "Straße STRASSE straße",
    "Ångström ångström ANGSTROM",
    "naïve NAÏVE Naïve coöperate",
    "São Paulo, España, Zürich, Kraków, Øresund, Þingvellir, Ærø",
    "Ünïcödé ÀÉÎÕÜ àéîõü ÇçÑñ",
    "e\u0301 vs \u00e9: NFD and NFC are not unified when cased",
    "\u0301\u0301 lone marks a\u030a\u0327 stacked",
    "İstanbul ISTANBUL ıi Iİ",
    "ΟΔΟΣ Οδός οδός ΆΈΉΊΌ Σας",
    "Москва МОСКВА москва Ёлка ёлка",
    "مرحبا بالعالم مَرْحَبًا",
    "Hello WORLD hello World hELLO",
    "iPhone McDonald's O'Brien eBay YouTube",
    "一只猫的照片 中文English混合ABC",
    "日本語のテキストとカタカナ ｶﾀｶﾅ",
    "한국어 문장입니다 서울特別市",
    "मराठी हिन्दी ภาษาไทย שלום עולם",
    "😀🐶 猫猫🐱 👍🏽 ❤️ 👩\u200d👩\u200d👧",
    "ctrl\x00null\x07bell\x1bescape\x7fdel\ufffdreplacement",
    "tab\tnewline\ncr\rcrlf\r\nvt\x0bff\x0cend",
    "nbsp\u00a0ideographic\u3000thin\u2009line\u2028para\u2029nel\u0085end",
    "soft\u00adhyphen zero\u200bwidth bom\ufeffhere",
    "[CLS] [SEP] [UNK] [PAD] [MASK] literal",
    "[CLS]",
    "¿Qué? ¡Hola! «guillemets» — en–dash … ellipsis",
    "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３！",
    "Ǆǅǆ ǈ titlecase ﬁ ligature",
    "2023年12月1日 $100 €50 30°C",
    "𠀀𠀁 ext-B 㐀 ext-A \uf900 compatibility",
    "user@example.com https://Example.com/Path?Q=猫#Top",
    "don't CAN'T It's",
    "Supercalifragilisticexpialidocious Antidisestablishmentarianism",
    "x" * 100,
    "x" * 101,
    "Y" * 150,
    "\u00e9" * 150,  # 150 characters, 300 UTF-8 bytes: the limit counts characters
    "z" * 200,
    "Z" * 201,
    "d" * 250 + " after",
    "猫" * 510,
    "猫" * 511,
    LONG_REPEAT,
    "   ",
    "\t\n\r ",
    "\x00\x01\x02",
]


def texts_of(shared):
    fixture = []
    for line in open(os.path.join(shared, "tokenizer_cases.jsonl"), encoding="utf-8"):
        if not line.strip():
            continue
        t = json.loads(line)["text"]
        try:
            t.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: not valid UTF-8
            continue
        fixture.append(t)
    seen = set(fixture)
    extras = []
    for t in MODEL_TEXTS + CASED_PAIR + EXTRAS_OWN:
        if t not in seen:
            seen.add(t)
            extras.append(t)
    return fixture, extras


SPECIALS = ["[PAD]", "[UNK]", CLS, SEP, "[MASK]"]


def labse_ids(full, hf_wordpiece, text):
    """BertTokenizer(do_lower_case=False)(text)["input_ids"], MIRRORED on FullTokenizer's
    parts: transformers first splits the text on its special tokens (the added-tokens
    trie: "[CLS]" written in the text is id 101), then runs BasicTokenizer on each stretch
    and WordpieceTokenizer with max_input_chars_per_word=100 (transformers' value;
    FullTokenizer's is 200)."""
    ids = []
    for part in re.split("(" + "|".join(re.escape(s) for s in SPECIALS) + ")", text):
        if part in SPECIALS:
            ids.append(full.vocab[part])
        elif part:
            pieces = [p for w in full.basic_tokenizer.tokenize(part) for p in hf_wordpiece.tokenize(w)]
            ids.extend(full.convert_tokens_to_ids(pieces))
    return [full.vocab[CLS]] + ids + [full.vocab[SEP]]


def build_vocab(bert_tokenizer, texts):
    basic = bert_tokenizer.BasicTokenizer(do_lower_case=False)
    words = [w for t in texts for w in basic.tokenize(t)]
    word_counts = collections.Counter(words)
    chars = sorted({c for w in words for c in w})

    specials = ["[PAD]"] + ["[unused%d]" % i for i in range(1, 100)] + ["[UNK]", CLS, SEP, "[MASK]"]
    singles = [c for c in chars if ord(c) % 11 != 5]
    continuations = ["##" + c for c in chars if ord(c) % 13 != 7]
    frequent_words = [w for w, n in sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0]))
                      if 2 <= len(w) <= 12][:250]
    prefix_counts = collections.Counter()
    suffix_counts = collections.Counter()
    for w, n in word_counts.items():
        if len(w) < 4 or len(w) > 100:  # the long runs of one letter would crowd the lists
            continue
        for k in range(2, 5):
            prefix_counts[w[:k]] += n
            for start in range(1, len(w) - k + 1):
                suffix_counts["##" + w[start:start + k]] += n
    prefixes = [p for p, n in sorted(prefix_counts.items(), key=lambda kv: (-kv[1], kv[0]))][:200]
    suffixes = [p for p, n in sorted(suffix_counts.items(), key=lambda kv: (-kv[1], kv[0]))][:300]
    vocab = list(specials)
    seen = set(vocab)
    for group in (singles, continuations, frequent_words, prefixes, suffixes):
        for tok in sorted(group):
            if tok not in seen:
                seen.add(tok)
                vocab.append(tok)
    return vocab


def main():
    src, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, os.path.abspath(src))
    from cn_clip.clip import bert_tokenizer

    fixture, extras = texts_of(shared)
    texts = fixture + extras
    assert len(extras) >= 30 + len(CASED_PAIR)

    # do_lower_case=False: no lower-casing, no accent stripping (see the docstring).
    basic = bert_tokenizer.BasicTokenizer(do_lower_case=False)
    assert basic.tokenize("Café Über Ñandú") == ["Café", "Über", "Ñandú"]
    assert basic.tokenize("e\u0301") == ["e\u0301"]
    uncased = bert_tokenizer.BasicTokenizer(do_lower_case=True)
    assert uncased.tokenize("Café Über Ñandú") == ["cafe", "uber", "nandu"]

    vocab = build_vocab(bert_tokenizer, texts)
    os.makedirs(out, exist_ok=True)
    vocab_path = os.path.join(out, "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(tok + "\n" for tok in vocab))

    full = bert_tokenizer.FullTokenizer(vocab_file=vocab_path, do_lower_case=False)
    assert [full.vocab[t] for t in ("[PAD]", "[UNK]", CLS, SEP, "[MASK]")] == [0, 100, 101, 102, 103]
    hf_wordpiece = bert_tokenizer.WordpieceTokenizer(vocab=full.vocab, max_input_chars_per_word=100)
    rows = [{"text": t, "ids": labse_ids(full, hf_wordpiece, t)} for t in texts]
    with open(os.path.join(out, "wordpiece_cased_goldens.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    # Where FullTokenizer alone (cn_clip's behaviour) would differ (see the docstring).
    n_unk = sum(1 for r in rows if full.vocab["[UNK]"] in r["ids"])
    print("vocab.txt: %d lines; wordpiece_cased_goldens.jsonl: %d lines (%d fixture + %d extras), %d with [UNK]"
          % (len(vocab), len(rows), len(fixture), len(extras), n_unk))
    for i, r in enumerate(rows, 1):
        if len(r["ids"]) > 512:
            print("  line %d: %d ids (> 512; clipkit cuts): %r" % (i, len(r["ids"]), r["text"][:40]))
    for i, r in enumerate(rows, 1):
        if full.convert_tokens_to_ids([CLS] + full.tokenize(r["text"]) + [SEP]) != r["ids"]:
            print("  line %d: FullTokenizer alone (200-character words, no special split) gives other ids: %r"
                  % (i, r["text"][:40]))


if __name__ == "__main__":
    main()
