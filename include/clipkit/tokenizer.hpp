// clipkit/tokenizer.hpp — CLIP's byte-level BPE tokenizer, exactly as OpenAI's
// clip.simple_tokenizer + clip.tokenize (ftfy clean-up, whitespace collapse,
// lower-casing, the regex split, BPE with "</w>", SOT/EOT, context 77).
//
//   auto tok = clipkit::Tokenizer::from_file("bpe_simple_vocab_16e6.txt.gz");
//   std::vector<int32_t> row = tok.tokenize("a photo of a cat");  // 77 ids
//
// Thread-safety: a Tokenizer is immutable after construction; encode/tokenize may be
// called from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clipkit {

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

  // BPE ids of the cleaned text, without SOT/EOT.
  std::vector<int32_t> encode(std::string_view text) const;

  // One row of `context_length` ids: SOT, the ids, EOT, zero padding — as
  // clip.tokenize. If the ids do not fit: with truncate=true they are cut and the
  // last id is EOT; with truncate=false an Error(invalid_argument) names the text.
  std::vector<int32_t> tokenize(std::string_view text, int context_length = 77,
                                bool truncate = true) const;

  // Inverse of encode (for debugging / display).
  std::string decode(std::span<const int32_t> ids) const;

  int32_t sot_id() const;
  int32_t eot_id() const;
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
