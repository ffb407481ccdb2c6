// text/bpe.hpp — CLIP's byte-level BPE model: the byte -> printable-character map
// (bytes_to_unicode), the vocabulary, merge ranks, and the merge loop with the
// "</w>" end-of-word marker, as OpenAI's simple_tokenizer.
//
//   BpeModel model = BpeModel::from_merges(merges);          // OpenAI-style vocab
//   std::vector<int32_t> ids = model.encode_word("hello");  // bytes of one pre-token
//
// A BpeModel is immutable after construction and may be shared across threads
// (the word cache is internally synchronised).
#pragma once

#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace clipkit::text {

// simple_tokenizer.bytes_to_unicode: byte -> the code point that stands for it.
const std::vector<char32_t>& byte_to_unicode();

class BpeModel {
 public:
  using Merge = std::pair<std::string, std::string>;  // UTF-8 symbols

  // Vocabulary as simple_tokenizer builds it: 256 byte symbols, the same with
  // "</w>", one token per merge, then <|startoftext|>, <|endoftext|>.
  static BpeModel from_merges(const std::vector<Merge>& merges);

  // Hugging Face layout: explicit token -> id map plus ranked merges. Throws
  // Error(corrupt_data) naming `source` when the special tokens are missing.
  static BpeModel from_vocab(std::unordered_map<std::string, int32_t> vocab, const std::vector<Merge>& merges,
                             const std::string& source);

  BpeModel(BpeModel&& other) noexcept;
  BpeModel& operator=(BpeModel&& other) noexcept;

  // Ids of one pre-token given as raw UTF-8 bytes (byte-encoded internally).
  // The special tokens "<|startoftext|>" / "<|endoftext|>" map to their ids.
  std::vector<int32_t> encode_word(std::string_view raw_bytes) const;

  // encode_word by simple_tokenizer's literal merge loop, O(n^2) in the word's length
  // (a 64 KB word takes half a minute): the reference encode_word is tested against.
  std::vector<int32_t> encode_word_reference(std::string_view raw_bytes) const;

  // Concatenated token strings of `ids`, mapped back to bytes, "</w>" -> " ".
  // Throws Error(invalid_argument) for an id outside the vocabulary.
  std::string decode(const int32_t* ids, size_t count) const;

  int32_t sot_id() const { return sot_id_; }
  int32_t eot_id() const { return eot_id_; }
  int32_t vocab_size() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  BpeModel() = default;
  std::vector<int32_t> bpe(const std::string& word) const;
  std::vector<int32_t> bpe_reference(const std::string& word) const;
  std::vector<int32_t> ids_of(const std::vector<std::string>& symbols) const;
  void finish(const std::vector<Merge>& merges);

  std::unordered_map<std::string, int32_t> token_to_id_;
  std::vector<std::string> id_to_token_;
  std::unordered_map<std::string, int32_t> ranks_;  // "first second" -> rank
  int32_t sot_id_ = -1;
  int32_t eot_id_ = -1;

  static constexpr size_t kMaxCacheEntries = 1 << 16;
  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace clipkit::text
