// clipkit/tokenizer.hpp — the text tokenizers of the model families clipkit runs:
//  - CLIP's byte-level BPE, exactly as OpenAI's clip.simple_tokenizer + clip.tokenize
//    (ftfy clean-up, whitespace collapse, lower-casing, the regex split, BPE with
//    "</w>", SOT/EOT, context 77);
//  - SentencePiece models (SigLIP's T5 unigram / mc4, SigLIP 2's Gemma BPE with byte
//    fallback), with the clean-up and special tokens a family uses around the .model
//    file (SentencePieceConventions below). The model file's own normaliser
//    (nmt_nfkc, identity, …) is applied by SentencePiece itself (Debian's libsentencepiece);
//  - BERT's WordPiece over a vocab.txt (Chinese-CLIP), exactly as cn_clip's
//    bert_tokenizer.py + cn_clip.clip.tokenize: clean-up (control characters dropped,
//    whitespace unified), CJK ideographs split apart, lower-casing + accent stripping,
//    punctuation split, greedy longest-match pieces with "##", [CLS] … [SEP], pad 0,
//    context 52.
//
//   auto clip = clipkit::Tokenizer::from_file("bpe_simple_vocab_16e6.txt.gz");
//   std::vector<int32_t> row = clip.tokenize("a photo of a cat");  // 77 ids
//
//   auto siglip = clipkit::Tokenizer::from_sentencepiece(
//       "spiece.model", clipkit::SentencePieceConventions::siglip());
//   std::vector<int32_t> row64 = siglip.tokenize("a photo of a cat", 64);  // pieces, EOS, pad
//
//   auto cn = clipkit::Tokenizer::from_wordpiece("vocab.txt");
//   std::vector<int32_t> row52 = cn.tokenize("一只猫的照片", 52);  // [CLS] 一 只 猫 … [SEP] 0…
//
// Thread-safety: a Tokenizer is immutable after construction; encode/tokenize/decode
// may be called from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clipkit {

// How a model family uses a SentencePiece .model file: the text clean-up before
// SentencePiece, and the special tokens of a row.
struct SentencePieceConventions {
  enum class Clean {
    // The text as given (SentencePiece's own normaliser still applies).
    none,
    // open_clip's "whitespace": whitespace_clean(basic_clean(x)), where basic_clean is
    // ftfy.fix_text, html.unescape twice, strip, and whitespace_clean turns every run of
    // Unicode whitespace into one space and strips.
    whitespace,
    // open_clip's "lower": the above, then Python's str.lower().
    lower,
    // open_clip's "canonicalize" (SigLIP / SigLIP 2 in open_clip, big_vision):
    // canonicalize_text(basic_clean(x)) with canonicalize_text = replace "_" by " ",
    // remove every character of Python's string.punctuation (ASCII only), str.lower()
    // of the whole string (final sigma: "ΟΔΟΣ" -> "οδος"), every run of Unicode
    // whitespace -> one space, strip.
    canonicalize,
    // transformers' SiglipTokenizer (the slow, sentencepiece one; do_lower_case=True),
    // whole: no ftfy / html clean-up; "▁" in the text becomes " " and one "▁" is put in
    // front; each character is lower-cased on its own (Python's str.lower() per
    // character: no final-sigma rule, "Σ" is always "σ"); the model's EOS and UNK
    // surface strings ("</s>", "<unk>") in the text are those special tokens, eating
    // the whitespace beside them; every other stretch gets SiglipTokenizer's
    // canonicalize_text — string.punctuation removed, "_" included, so "a_b" -> "ab"
    // (open_clip: "a b"), whitespace runs -> " ", strip, and no lower-casing there —
    // and is encoded with the model's add_dummy_prefix turned off as "<unk>" + text,
    // the "<unk>" pieces dropped (transformers' way to keep a leading "▁"; an empty
    // text is therefore one "▁" piece, not nothing). EOS is appended unless the ids
    // already end with it.
    canonicalize_hf,
  };
  Clean clean = Clean::canonicalize;
  bool add_bos = false;  // the model's BOS first (the model must have one)
  bool add_eos = true;   // the model's EOS last; kept last when a row is truncated
  int32_t pad_id = 1;    // fills a row on the right: SigLIP v1: </s> (1); SigLIP 2: 0
  // Added to every id SentencePiece gives (pieces, UNK, BOS, EOS; not pad_id): for
  // vocabularies whose ids are shifted from the .model file's (fairseq's XLM-R puts
  // specials first). 0 for SigLIP.
  int32_t id_offset = 0;
  // Where >= 0: the id a row uses for that special token, in place of the model's own id
  // + id_offset. fairseq's XLM-R vocabulary (transformers' XLMRobertaTokenizer) puts
  // <s> 0, <pad> 1, </s> 2, <unk> 3 first and every other piece at its SentencePiece id
  // + 1, so the model file's <unk> 0, <s> 1, </s> 2 move to 3, 0 and 2.
  int32_t bos_id = -1, eos_id = -1, unk_id = -1;
  // transformers' added tokens (XLMRobertaTokenizer): "<s>", "<pad>", "</s>", "<unk>"
  // and "<mask>" written in the (cleaned) text are those tokens (BOS, pad_id, EOS,
  // unk_id, id_offset + piece count), and the stretches between them are encoded on
  // their own. Off for SigLIP (its HF conventions handle "</s>" / "<unk>" themselves).
  bool text_specials = false;

  // SigLIP v1 and i18n (T5 c4-en / mc4 unigram; open_clip SigLipTokenizer): canonicalize,
  // no BOS, EOS (1), pad 1 (open_clip sets pad_token_id = 1), context 64.
  static SentencePieceConventions siglip();
  // SigLIP 2 (Gemma BPE with byte fallback; open_clip HFTokenizer, clean="canonicalize"):
  // canonicalize (so lower-cased), no BOS, EOS (1), pad 0, context 64.
  static SentencePieceConventions siglip2();
  // SigLIP through transformers' SiglipTokenizer: canonicalize_hf, no BOS, EOS, pad 1
  // (its pad_token is "</s>").
  static SentencePieceConventions siglip_hf();
  // XLM-RoBERTa in open_clip (xlm-roberta-{base,large}-ViT-*; HFTokenizer over
  // XLMRobertaTokenizer, clean="whitespace"): whitespace clean-up, <s> 0 first, </s> 2
  // last, pad 1, pieces at their SentencePiece id + 1, <unk> 3; context 77.
  static SentencePieceConventions xlm_roberta();
  // The same without clean-up: transformers' XLMRobertaTokenizer called directly, as
  // M-CLIP does (its context is the model's positions: 512).
  static SentencePieceConventions xlm_roberta_hf();
};

// How a model family uses a BERT vocab.txt.
struct WordPieceConventions {
  // BasicTokenizer(do_lower_case): lower-case, NFD and strip accents (Mn). False keeps
  // the text's case and accents (cased vocabularies: LaBSE).
  bool lower_case = true;
  // WordpieceTokenizer.max_input_chars_per_word: a longer word is one [UNK]. cn_clip
  // 200; transformers' BertTokenizer 100.
  size_t max_chars_per_word = 200;
  // transformers' added tokens: "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" written in
  // the text are those tokens, the stretches between tokenized on their own. Off:
  // cn_clip's FullTokenizer, which splits them like any text ("[", "CLS", "]").
  bool text_specials = false;

  // Chinese-CLIP (cn_clip's bert_tokenizer): the defaults above.
  static WordPieceConventions chinese_clip() { return {}; }
  // transformers' BertTokenizer with its tokenizer_config.json's do_lower_case.
  static WordPieceConventions bert(bool lower_case) { return {lower_case, 100, true}; }
};

class Tokenizer {
 public:
  // Loads merges from:
  //  - OpenAI's `bpe_simple_vocab_16e6.txt.gz` (or an uncompressed/gzipped file of the
  //    same shape: a header line, then one "a b" merge per line). OpenAI's file keeps
  //    its first 48894 merges, as simple_tokenizer does; other merges files keep all.
  //  - a Hugging Face `vocab.json` (pass its path; `merges.txt` must sit beside it) or
  //    `merges.txt` (with `vocab.json` beside it);
  //  - a folder holding either of the above.
  // Throws Error(not_found / corrupt_data) naming the file.
  static Tokenizer from_file(const std::filesystem::path& path);

  // Loads a SentencePiece model (`spiece.model`, `tokenizer.model`, …; at most 64 MiB,
  // read by clipkit, parsed by libsentencepiece) to be used with conventions `c`.
  // Throws Error naming the file: not_found (no such file), corrupt_data (not a
  // SentencePiece model, e.g. truncated), resource_exhausted (too large),
  // invalid_argument (a folder, …; or `c` asks for a BOS/EOS the model lacks).
  static Tokenizer from_sentencepiece(const std::filesystem::path& model_file,
                                      const SentencePieceConventions& c);

  // Loads a BERT WordPiece vocabulary (Chinese-CLIP's `vocab.txt`: one token per line,
  // id = line number, read as cn_clip's load_vocab; at most 64 MiB) to be used as
  // Chinese-CLIP does (lower-casing and accent stripping on; a word of more than 200
  // code points is one [UNK]). Throws Error naming the file: not_found (no such file),
  // invalid_argument (a folder, …), resource_exhausted (too large), corrupt_data (not
  // UTF-8, or no [CLS], [SEP] or [UNK] line).
  static Tokenizer from_wordpiece(const std::filesystem::path& vocab_file,
                                  const WordPieceConventions& c = WordPieceConventions::chinese_clip());

  // The ids of the cleaned text, without special tokens (CLIP: BPE ids without SOT/EOT;
  // SentencePiece: the pieces' ids + id_offset — with canonicalize_hf, "</s>"/"<unk>"
  // written in the text are included as those tokens; WordPiece: the pieces' ids, a
  // "[CLS]" written in the text is punctuation and letters, not the token).
  // Throws Error(invalid_argument) when `text` is not valid UTF-8 (SentencePiece and
  // WordPiece tokenizers; the CLIP tokenizer reads bad bytes as U+FFFD, as Python does).
  std::vector<int32_t> encode(std::string_view text) const;

  // One row of `context_length` ids.
  //  CLIP: SOT, the ids, EOT, zero padding — as clip.tokenize.
  //  SentencePiece: [BOS] the ids [EOS], then pad_id up to context_length (SigLIP: 64).
  //  WordPiece: [CLS] the ids [SEP], then 0 up to context_length (Chinese-CLIP: 52); cut
  //  ids keep the first context_length - 2, as cn_clip.clip.tokenize.
  // If the ids do not fit: with truncate=true they are cut so that the row keeps its
  // specials and EOT/EOS stays last (as transformers' truncation=True, max_length);
  // with truncate=false an Error(invalid_argument) names the text. context_length
  // must be positive and, for SentencePiece and WordPiece, hold the specials (else
  // invalid_argument).
  std::vector<int32_t> tokenize(std::string_view text, int context_length = 77,
                                bool truncate = true) const;

  // Inverse of encode (for debugging / display); ids outside the vocabulary and
  // special tokens are skipped (WordPiece: pieces joined by spaces, "##" glued on).
  std::string decode(std::span<const int32_t> ids) const;

  // The id that starts a row (CLIP: SOT; SentencePiece: BOS + id_offset when the
  // conventions add one) and the id that ends the text (CLIP: EOT; SentencePiece: EOS
  // + id_offset when added; WordPiece: [CLS] and [SEP]), or -1 where the row has none
  // (SigLIP has no BOS).
  int32_t sot_id() const;
  int32_t eot_id() const;
  // CLIP: the BPE vocabulary size; SentencePiece: the model's piece count (its ids
  // run from id_offset to id_offset + vocab_size() - 1); WordPiece: the vocab.txt's
  // line count.
  int32_t vocab_size() const;

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipkit
