#!/usr/bin/python3
"""Trains the small SentencePiece model clipkit's XLM-RoBERTa tests use (open_clip's
xlm-roberta-* CLIP models and M-CLIP), with Debian's python3-sentencepiece (the same
library that made XLM-R's sentencepiece.bpe.model):

  tests/data/xlmr/tokenizer/sentencepiece.bpe.model
      unigram model (XLM-R's file is a unigram model despite its name), ~1000 pieces
      (hard_vocab_limit=False, so the trainer may stop a little short), in XLM-R's
      SentencePiece layout: <unk> 0, <s> 1, </s> 2, no <pad>; nmt_nfkc normalisation
      with a dummy prefix and extra-whitespace removal (SentencePiece's defaults, as
      XLM-R's). character_coverage 0.9995, so the rarest characters of the corpus are
      left out and come back as <unk> (tests of the unk mapping need some).

Usage: /usr/bin/python3 tests/reference/xlmr_tokenizers.py SHARED_DIR OUT_DIR
    SHARED_DIR  ../shared (texts: SHARED_DIR/fixtures/tokenizer_cases.jsonl)
    OUT_DIR     tests/data/xlmr/tokenizer

The corpus is the text of tokenizer_cases.jsonl (643 strings in many scripts; the few
that are not valid UTF-8 are skipped) plus MODEL_TEXTS below (the captions of the model
fixtures, which xlmr_models.py imports from here), newlines turned into spaces.
num_threads=1 so that the model is the same on every run.

ids: transformers' XLMRobertaTokenizer does not use SentencePiece's ids as they are; it
maps them fairseq-style (<s> 0, <pad> 1, </s> 2, <unk> 3, piece i -> i + 1, <mask> =
piece count + 1); see fairseq_ids() in xlmr_token_goldens.py.
"""
import io
import json
import sys

import sentencepiece as spm

LONG_MIXED = (
    "A long caption in many languages: a cat sits on a red blanket near the window, "
    "一只猫坐在红色的毯子上，窗外是蓝色的天空和白色的云。赤い毛布の上に猫が座っています。"
    "قطة تجلس على بطانية حمراء بجانب النافذة. Кошка сидит на красном одеяле у окна. "
    "고양이가 빨간 담요 위에 앉아 있습니다. Le chat est très beau, et le café aussi! 🐱☕ "
    "and the words keep going until the caption is much longer than seventy seven pieces."
)
LONGER_MIXED = " ".join(
    f"item {i}: a photo of a cat 猫の写真 фотография кошки صورة قطة 고양이 사진 {'🐱' * (i % 3)}" for i in range(12))

# The captions of the model fixtures (xlmr_models.py): the same list for all three models.
MODEL_TEXTS = [
    "a photo of a cat",
    "一只猫的照片",
    "猫の写真",
    "صورة قطة",
    "фотография кошки",
    "고양이 사진",
    "Ceci est une très belle photo d'un café",
    "🐱 emoji and   spaces\tand\nnewlines",
    "",
    LONG_MIXED,
    LONGER_MIXED,
]


def main():
    shared, out = sys.argv[1], sys.argv[2]
    texts = [json.loads(line)["text"] for line in open(f"{shared}/fixtures/tokenizer_cases.jsonl", encoding="utf-8")]
    corpus = []
    for t in texts + MODEL_TEXTS:
        try:
            t.encode("utf-8")
        except UnicodeEncodeError:
            continue
        if t.strip():
            corpus.append(t.replace("\n", " "))
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=model, model_type="unigram",
                                   vocab_size=1000, hard_vocab_limit=False, num_threads=1,
                                   character_coverage=0.9995, normalization_rule_name="nmt_nfkc",
                                   unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    open(f"{out}/sentencepiece.bpe.model", "wb").write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    print(f"{out}/sentencepiece.bpe.model: {sp.get_piece_size()} pieces, {len(model.getvalue())} bytes, "
          f"{len(corpus)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main()
