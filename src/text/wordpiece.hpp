// text/wordpiece.hpp — BERT's WordPiece tokenizer over a `vocab.txt`, exactly as
// Chinese-CLIP's cn_clip/clip/bert_tokenizer.py (FullTokenizer = BasicTokenizer +
// WordpieceTokenizer) and cn_clip.clip.tokenize's rows:
//
//  BasicTokenizer  drop U+0000, U+FFFD and control/format characters (Cc, Cf; not
//                  \t \n \r); \t \n \r and Zs become a space; put spaces around CJK
//                  ideographs (cn_clip's eight code-point ranges); split on Python
//                  whitespace; per word: str.lower(), NFD, drop Mn (accents); split
//                  off every punctuation character (ASCII 33-47, 58-64, 91-96, 123-126
//                  and Unicode P*) as its own word.
//  WordPiece       per word, greedy longest match from the left, continuations looked
//                  up as "##" + piece; a word with an unmatched rest, or longer than
//                  max_chars_per_word code points, is one [UNK].
//  rows            [CLS] ids[:context-2] [SEP], then 0 up to context (cn_clip: 52).
//
//   auto wp = clipkit::text::WordPieceTokenizer::load("vocab.txt");
//   std::vector<int32_t> row = wp.tokenize("一只猫的照片", 52, true);
//
// Categories and NFD come from utf8proc (Unicode 15); Python 3.11's unicodedata is
// Unicode 14, so characters first assigned in 15.0 may be classed differently.
// Immutable after load; every method may be called from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clipkit::text {

struct WordPieceOptions {
  // BasicTokenizer(do_lower_case): lower-case, NFD and strip accents (Mn).
  bool lower_case = true;
  // WordpieceTokenizer.max_input_chars_per_word: cn_clip 200 (transformers' BertTokenizer
  // uses 100). A longer word is one [UNK].
  size_t max_chars_per_word = 200;
  // transformers' added tokens: "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" written in
  // the text are those tokens (cn_clip's FullTokenizer splits them as punctuation).
  bool text_specials = false;
};

class WordPieceTokenizer {
 public:
  // Reads `vocab_file` (core::read_text_file, at most 64 MiB) and parses it as
  // from_text. Errors name the file: not_found (no such file), invalid_argument (a
  // folder, ...), resource_exhausted (too large), corrupt_data (see from_text).
  static WordPieceTokenizer load(const std::filesystem::path& vocab_file, const WordPieceOptions& options = {});

  // A vocab.txt's contents as cn_clip's load_vocab reads them: one token per line
  // (lines end in \n, \r\n or \r, as Python's text mode), each stripped of Python
  // whitespace; token i has id i, and a repeated token keeps its last line's id.
  // Error(corrupt_data) naming `name` for bytes that are not UTF-8 (with the line) and
  // for a vocabulary without [CLS], [SEP] or [UNK].
  static WordPieceTokenizer from_text(std::string_view contents, const std::string& name,
                                      const WordPieceOptions& options = {});

  // BasicTokenizer.tokenize: the words WordPiece sees (UTF-8).
  // Error(invalid_argument) when `text` is not valid UTF-8, here and below.
  std::vector<std::string> basic_tokenize(std::string_view text) const;
  // FullTokenizer.tokenize: the pieces ("##" continuations, "[UNK]").
  std::vector<std::string> pieces(std::string_view text) const;
  // The pieces' ids, without [CLS]/[SEP].
  std::vector<int32_t> encode(std::string_view text) const;

  // One row of `context_length` ids: [CLS], the ids, [SEP], zeros. When the ids do not
  // fit, truncate=true keeps the first context_length - 2 (cn_clip.clip.tokenize), and
  // truncate=false is Error(invalid_argument) naming the text. context_length < 2 is
  // Error(invalid_argument).
  std::vector<int32_t> tokenize(std::string_view text, int context_length, bool truncate) const;

  // The pieces joined by spaces with " ##" removed (FullTokenizer.convert_tokens_to_string
  // without its English clean-up); [CLS], [SEP], id 0 and ids outside the vocabulary are
  // skipped.
  std::string decode(std::span<const int32_t> ids) const;

  int32_t cls_id() const { return cls_id_; }
  int32_t sep_id() const { return sep_id_; }
  int32_t unk_id() const { return unk_id_; }
  // The number of lines, so ids run from 0 to vocab_size() - 1.
  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  const std::string& name() const { return name_; }

 private:
  WordPieceTokenizer() = default;
  void wordpiece(const std::u32string& word, std::vector<int32_t>& ids, std::vector<std::string>* pieces) const;
  std::vector<std::u32string> basic_words(std::string_view text) const;

  std::string name_;
  WordPieceOptions options_;
  std::unordered_map<std::string, int32_t> ids_;
  std::vector<std::string> tokens_;  // by id (line)
  size_t max_token_bytes_ = 0;       // the longest token in the vocabulary, in bytes
  int32_t cls_id_ = -1;
  int32_t sep_id_ = -1;
  int32_t unk_id_ = -1;
};

}  // namespace clipkit::text
