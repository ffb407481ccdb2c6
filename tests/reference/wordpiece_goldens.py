#!/usr/bin/python3
"""Token goldens for clipkit's WordPiece tokenizer (src/text/wordpiece.cpp), made by
Chinese-CLIP's own code: cn_clip/clip/bert_tokenizer.py (FullTokenizer, BasicTokenizer)
and cn_clip.clip.tokenize (the [CLS] ... [SEP] rows), imported from a checkout.

Usage (Debian's python3; cn_clip imports torch and torchvision):
  /usr/bin/python3 tests/reference/wordpiece_goldens.py CHINESE_CLIP_DIR SHARED_FIXTURES_DIR OUT_DIR

CHINESE_CLIP_DIR holds cn_clip/ (github.com/OFA-Sys/Chinese-CLIP; made with commit
31863c707501bf1605d36842f43deb78793dbc5d). Writes to OUT_DIR (tests/data/chinese_clip):

  vocab.txt         a small vocabulary built from the texts below with BERT's layout
                    ([PAD] 0, [unused1..99], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103):
                    single characters (a few left out, so that [UNK] happens), "##"
                    characters (a few left out), frequent words, prefixes and "##" suffixes.
  quirky_vocab.txt  a vocabulary in the shapes load_vocab accepts: a BOM, CRLF and lone-CR
                    line ends, padding that str.strip() removes, empty lines, a repeated
                    token (the later line's id wins), no final newline.
  wordpiece_goldens.jsonl
                    one object per (vocab, text): "vocab" (file name), "text", "basic"
                    (BasicTokenizer.tokenize), "pieces" (FullTokenizer.tokenize), "ids",
                    "tokens_52" (cn_clip.clip.tokenize(text) — context 52) and "tokens_8"
                    (context_length=8, to exercise truncation).

The texts: every text of SHARED_FIXTURES_DIR/tokenizer_cases.jsonl (read here, not
copied), then EXTRAS (Chinese, Japanese, Korean, mixed scripts, accents, emoji, control
and format characters, over-long words and texts).
"""
import collections
import json
import os
import sys

EXTRAS = [
    "一只猫的照片",
    "一张狗狗在草地上奔跑的照片。",
    "我爱北京天安门，天安门上太阳升！",
    "这是一个测试：中文、英文（English）和数字123混合。",
    "「引号」『书名』【方括号】《书名号》〈尖括号〉",
    "2023年12月1日星期五",
    "iPhone 14 Pro发布会",
    "北京大学Peking University",
    "日本語のテキストと漢字",
    "ひらがなカタカナ漢字ｶﾀｶﾅ",
    "東京タワーの写真です。",
    "한국어 문장입니다",
    "서울特別市",
    "Ångström Crème Brûlée à la carte",
    "Tiếng Việt có dấu",
    "ΟΔΟΣ ΣΑΣ Σ ΆΈΉΊΌ",
    "İstanbul ISTANBUL ıi",
    "Straße STRASSE",
    "naïve coöperate résumé",
    "e\u0301 combining acute, n\u0303 tilde",
    "मराठी हिन्दी ภาษาไทย",
    "مَرْحَبًا بِكُمْ",
    "😀🐶 猫猫🐱 👍🏽 ❤️",
    "👩\u200d👩\u200d👧\u200d👦 family",
    "soft\u00adhyphen zero\u200bwidth bom\ufeffhere joiner\u200d",
    "ctrl\x00null\x07bell\x1bescape\x7fdel\ufffdreplacement",
    "tab\tnewline\ncr\rcrlf\r\nvt\x0bff\x0cend",
    "nbsp\u00a0ideographic\u3000ogham\u1680thin\u2009line\u2028para\u2029end",
    "mongolian\u180eseparator",
    "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ　１２３！",
    "，。！？；：“”‘’（）——……·",
    "¿Qué? ¡Hola! «guillemets» — en–dash … ellipsis",
    "$100 €50 £30 ¥20 ©®™ 30°C x² ½ Ⅻ ﬁne",
    "state-of-the-art snake_case dot.separated a/b\\c",
    "don't can't it's",
    "https://example.com/path?q=猫&lang=zh-CN#top",
    "user@example.com #hashtag @mention",
    "[CLS] [SEP] [UNK] [PAD] [MASK] literal",
    "𠀀𠀁𪜀 ext-B ideographs 㐀㐁 ext-A",
    "\uf900\ufa0e\ufa10 compatibility ideographs \U0002f800",
    "〇〆々 iteration marks",
    "ⅰⅱⅲ ① ⑴ ㈠",
    "中" * 60,
    "猫" * 49,
    "猫" * 50,
    "猫" * 51,
    "a" * 150,
    "b" * 200,
    "c" * 201,
    "d" * 250 + " after",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "xqzjv qqqq zzzz",
    "   ",
    "",
    "\u0301\u0301 lone marks",
    "a\u030a\u0327 stacked",
    "Ǆǅǆ ǈ titlecase",
]


def main():
    src, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, os.path.abspath(src))
    from cn_clip.clip import bert_tokenizer
    from cn_clip.clip import utils

    fixture = [json.loads(line)["text"] for line in open(os.path.join(shared, "tokenizer_cases.jsonl"), encoding="utf-8")
               if line.strip()]
    texts = fixture + EXTRAS
    for t in texts:
        t.encode("utf-8")  # no lone surrogates: every text is valid UTF-8

    basic = bert_tokenizer.BasicTokenizer(do_lower_case=True)
    words = [w for t in texts for w in basic.tokenize(t)]
    word_counts = collections.Counter(words)
    chars = sorted({c for w in words for c in w})

    specials = ["[PAD]"] + ["[unused%d]" % i for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    # Left out so that [UNK] happens: some single characters and some continuations.
    singles = [c for c in chars if ord(c) % 11 != 5]
    continuations = ["##" + c for c in chars if ord(c) % 13 != 7]
    frequent_words = [w for w, n in sorted(word_counts.items(), key=lambda kv: (-kv[1], kv[0]))
                      if len(w) >= 2 and len(w) <= 12][:600]
    prefix_counts = collections.Counter()
    suffix_counts = collections.Counter()
    for w, n in word_counts.items():
        if len(w) < 4:
            continue
        for k in range(2, 5):
            prefix_counts[w[:k]] += n
            for start in range(1, len(w) - k + 1):
                suffix_counts["##" + w[start:start + k]] += n
    prefixes = [p for p, n in sorted(prefix_counts.items(), key=lambda kv: (-kv[1], kv[0]))][:500]
    suffixes = [p for p, n in sorted(suffix_counts.items(), key=lambda kv: (-kv[1], kv[0]))][:700]
    vocab = list(specials)
    seen = set(vocab)
    for group in (singles, continuations, frequent_words, prefixes, suffixes):
        for tok in sorted(group):
            if tok not in seen:
                seen.add(tok)
                vocab.append(tok)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(tok + "\n" for tok in vocab))

    # Shapes load_vocab reads: BOM (kept as part of the first token), CRLF, a lone CR,
    # str.strip() padding (spaces, tab, NBSP, U+3000), empty lines, a repeated token
    # (its later id wins), no newline at the end.
    quirky = ("\ufeff[PAD]\r\n[UNK]\n  [CLS]\t\n[SEP]\r"
              "猫\n\n##猫\u00a0\n  \n狗\r\n##的\n的\n照片\u3000\n照\n##片\n一\n只\n"
              "cat\nca\n##t\n##s\nthe\n猫\r\nphoto\n[MASK]")
    with open(os.path.join(out, "quirky_vocab.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(quirky)
    quirky_texts = ["一只猫的照片", "猫猫狗狗", "the cats", "cat photo 照片", "Photo of a dog", "[MASK] 的",
                    "\ufeff[PAD]", ""]

    rows = []
    for vocab_name, vocab_texts in (("vocab.txt", texts), ("quirky_vocab.txt", quirky_texts)):
        full = bert_tokenizer.FullTokenizer(vocab_file=os.path.join(out, vocab_name), do_lower_case=True)
        utils._tokenizer = full  # cn_clip.clip.tokenize reads this module global
        tokens_52 = utils.tokenize(vocab_texts).tolist()
        tokens_8 = utils.tokenize(vocab_texts, context_length=8).tolist()
        for i, t in enumerate(vocab_texts):
            pieces = full.tokenize(t)
            rows.append({"vocab": vocab_name, "text": t, "basic": full.basic_tokenizer.tokenize(t), "pieces": pieces,
                         "ids": full.convert_tokens_to_ids(pieces), "tokens_52": tokens_52[i],
                         "tokens_8": tokens_8[i]})
    with open(os.path.join(out, "wordpiece_goldens.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_unk = sum(1 for r in rows if "[UNK]" in r["pieces"])
    n_cut = sum(1 for r in rows if len(r["ids"]) > 50)
    print("vocab.txt: %d lines; quirky_vocab.txt: %d lines; %d rows (%d fixture + %d extras + %d quirky); "
          "%d with [UNK], %d truncated at 52" % (len(vocab), len(quirky.replace("\r\n", "\n").replace("\r", "\n").split("\n")), len(rows), len(fixture),
                                                 len(EXTRAS), len(quirky_texts), n_unk, n_cut))


if __name__ == "__main__":
    main()
