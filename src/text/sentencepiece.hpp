// text/sentencepiece.hpp — a SentencePiece model (libsentencepiece, kept out of this
// header) with the conventions of a model family around it: the clean-up before it,
// BOS/EOS, padding, truncation (SentencePieceConventions in clipkit/tokenizer.hpp).
//
//   auto model = clipkit::text::SentencePieceTokenizer::load(
//       "spiece.model", clipkit::SentencePieceConventions::siglip());
//   std::vector<int32_t> row = model->tokenize("a photo of a cat", 64, true);
//
// Immutable after load; every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clipkit/tokenizer.hpp"

namespace clipkit::text {

class SentencePieceTokenizer {
 public:
  // Reads `model_file` with core::read_file (capped) and parses it. Errors as
  // Tokenizer::from_sentencepiece.
  static std::unique_ptr<SentencePieceTokenizer> load(const std::filesystem::path& model_file,
                                                      const SentencePieceConventions& conventions);
  // The same from the file's bytes; `name` is what messages call the file.
  static std::unique_ptr<SentencePieceTokenizer> from_bytes(std::string_view bytes, const std::string& name,
                                                            const SentencePieceConventions& conventions);
  ~SentencePieceTokenizer();

  // Clean-up + SentencePiece, no BOS/EOS; ids + id_offset (or the conventions' ids for
  // UNK / BOS / EOS).
  std::vector<int32_t> encode(std::string_view text) const;
  std::vector<int32_t> tokenize(std::string_view text, int context_length, bool truncate) const;
  std::string decode(std::span<const int32_t> ids) const;

  int32_t bos_id() const;     // + id_offset, -1 when the conventions add none
  int32_t eos_id() const;     // + id_offset, -1 when the conventions add none
  int32_t piece_count() const;

  // The text SentencePiece sees for `text` (the clean-up only; canonicalize_hf's
  // special-token split and "▁" handling are not part of it). For tests.
  std::string clean(std::string_view text) const;

  struct State;
  // SentencePiece's ids as the model's vocabulary numbers them.
  std::vector<int32_t> map_ids(std::vector<int32_t> ids) const;

 private:
  explicit SentencePieceTokenizer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace clipkit::text
