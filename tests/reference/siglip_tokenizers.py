#!/usr/bin/python3
"""Trains the two small SentencePiece models clipkit's SigLIP tests use, with
Debian's python3-sentencepiece (the same library as the released tokenizers):

  unigram.model    T5-style unigram (SigLIP v1 / i18n layout): <pad> 0, </s> 1, <unk> 2,
                   no <s>; nmt_nfkc normalisation with a dummy prefix, as T5's c4 model.
  gemma_bpe.model  BPE with byte fallback (SigLIP 2's Gemma layout): <pad> 0, </s> 1,
                   <s> 2, <unk> 3; identity normalisation, no dummy prefix, digits split.

Usage: tests/reference/siglip_tokenizers.py SHARED_FIXTURES_DIR OUT_DIR
The corpus is the text of SHARED_FIXTURES_DIR/tokenizer_cases.jsonl (643 strings in
many scripts) plus its lower-cased copy, so the models have pieces for all of them.
"""
import io
import json
import sys

import sentencepiece as spm


def main():
    shared, out = sys.argv[1], sys.argv[2]
    texts = [json.loads(line)["text"] for line in open(f"{shared}/tokenizer_cases.jsonl", encoding="utf-8")]
    corpus = [t.replace("\n", " ") for t in texts if t.strip()]
    corpus += [t.lower() for t in corpus]
    common = dict(sentence_iterator=iter(corpus), num_threads=1, character_coverage=0.9995,
                  hard_vocab_limit=False, minloglevel=2)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(model_writer=model, model_type="unigram", vocab_size=700,
                                   pad_id=0, eos_id=1, unk_id=2, bos_id=-1, **common)
    open(f"{out}/unigram.model", "wb").write(model.getvalue())
    common["sentence_iterator"] = iter(corpus)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(model_writer=model, model_type="bpe", vocab_size=900, byte_fallback=True,
                                   pad_id=0, eos_id=1, bos_id=2, unk_id=3, normalization_rule_name="identity",
                                   add_dummy_prefix=False, remove_extra_whitespaces=False, split_digits=True,
                                   **common)
    open(f"{out}/gemma_bpe.model", "wb").write(model.getvalue())


if __name__ == "__main__":
    main()
