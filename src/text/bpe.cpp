// text/bpe.cpp — byte-level BPE as simple_tokenizer.bpe: repeatedly merge the
// lowest-ranked adjacent pair (all its occurrences, left to right) until no
// ranked pair remains.
#include "text/bpe.hpp"

#include <limits>

#include "clipkit/error.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {
namespace {

constexpr std::string_view kSot = "<|startoftext|>";
constexpr std::string_view kEot = "<|endoftext|>";
constexpr std::string_view kEndOfWord = "</w>";

// The byte order of simple_tokenizer's vocabulary: printable bytes first.
const std::vector<uint8_t>& byte_order() {
  static const std::vector<uint8_t> order = [] {
    std::vector<uint8_t> bs;
    for (int b = '!'; b <= '~'; ++b) bs.push_back(static_cast<uint8_t>(b));
    for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(static_cast<uint8_t>(b));
    for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(static_cast<uint8_t>(b));
    std::vector<bool> seen(256, false);
    for (uint8_t b : bs) seen[b] = true;
    for (int b = 0; b < 256; ++b) {
      if (!seen[b]) bs.push_back(static_cast<uint8_t>(b));
    }
    return bs;
  }();
  return order;
}

const std::vector<std::string>& byte_symbols() {
  static const std::vector<std::string> symbols = [] {
    std::vector<std::string> s(256);
    for (int b = 0; b < 256; ++b) {
      std::string u;
      append_utf8(u, byte_to_unicode()[b]);
      s[b] = u;
    }
    return s;
  }();
  return symbols;
}

}  // namespace

const std::vector<char32_t>& byte_to_unicode() {
  static const std::vector<char32_t> table = [] {
    std::vector<char32_t> t(256, 0);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      t[b] = printable ? static_cast<char32_t>(b) : next++;
    }
    return t;
  }();
  return table;
}

BpeModel::BpeModel(BpeModel&& other) noexcept
    : token_to_id_(std::move(other.token_to_id_)),
      id_to_token_(std::move(other.id_to_token_)),
      ranks_(std::move(other.ranks_)),
      sot_id_(other.sot_id_),
      eot_id_(other.eot_id_),
      cache_(std::move(other.cache_)) {}

BpeModel& BpeModel::operator=(BpeModel&& other) noexcept {
  token_to_id_ = std::move(other.token_to_id_);
  id_to_token_ = std::move(other.id_to_token_);
  ranks_ = std::move(other.ranks_);
  sot_id_ = other.sot_id_;
  eot_id_ = other.eot_id_;
  cache_ = std::move(other.cache_);
  return *this;
}

void BpeModel::finish(const std::vector<Merge>& merges) {
  // dict(zip(merges, range(len(merges)))): a repeated merge keeps its last rank.
  ranks_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    ranks_.insert_or_assign(merges[i].first + " " + merges[i].second, static_cast<int32_t>(i));
  }
}

BpeModel BpeModel::from_merges(const std::vector<Merge>& merges) {
  BpeModel m;
  std::vector<std::string> vocab;
  vocab.reserve(512 + merges.size() + 2);
  for (uint8_t b : byte_order()) vocab.push_back(byte_symbols()[b]);
  for (uint8_t b : byte_order()) vocab.push_back(byte_symbols()[b] + std::string(kEndOfWord));
  for (const Merge& merge : merges) vocab.push_back(merge.first + merge.second);
  vocab.emplace_back(kSot);
  vocab.emplace_back(kEot);
  m.token_to_id_.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) m.token_to_id_.insert_or_assign(vocab[i], static_cast<int32_t>(i));
  m.id_to_token_ = std::move(vocab);
  m.sot_id_ = m.token_to_id_.at(std::string(kSot));
  m.eot_id_ = m.token_to_id_.at(std::string(kEot));
  m.finish(merges);
  return m;
}

BpeModel BpeModel::from_vocab(std::unordered_map<std::string, int32_t> vocab, const std::vector<Merge>& merges,
                              const std::string& source) {
  BpeModel m;
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab) {
    if (id < 0) {
      throw Error(ErrorCode::corrupt_data, source + ": token '" + token + "' has negative id " + std::to_string(id));
    }
    max_id = std::max(max_id, id);
  }
  if (static_cast<size_t>(max_id) + 1 > vocab.size() * 4 + 16) {
    throw Error(ErrorCode::corrupt_data, source + ": ids are too sparse (max id " + std::to_string(max_id) +
                                             " for " + std::to_string(vocab.size()) + " tokens)");
  }
  m.id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  for (const auto& [token, id] : vocab) m.id_to_token_[static_cast<size_t>(id)] = token;
  auto special = [&](std::string_view name) {
    auto it = vocab.find(std::string(name));
    if (it == vocab.end()) {
      throw Error(ErrorCode::corrupt_data, source + ": vocabulary has no '" + std::string(name) + "' token");
    }
    return it->second;
  };
  m.sot_id_ = special(kSot);
  m.eot_id_ = special(kEot);
  m.token_to_id_ = std::move(vocab);
  m.finish(merges);
  return m;
}

std::vector<int32_t> BpeModel::bpe(const std::string& word) const {
  // Split the byte-encoded word into UTF-8 symbols; the last one carries "</w>".
  std::vector<std::string> symbols;
  for (size_t i = 0; i < word.size();) {
    size_t len = 1;
    const auto b = static_cast<uint8_t>(word[i]);
    if (b >= 0xF0) len = 4;
    else if (b >= 0xE0) len = 3;
    else if (b >= 0xC0) len = 2;
    symbols.push_back(word.substr(i, len));
    i += len;
  }
  if (symbols.empty()) return {};
  symbols.back() += kEndOfWord;

  std::string key;
  while (symbols.size() > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    size_t best = symbols.size();
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      key.assign(symbols[i]).append(" ").append(symbols[i + 1]);
      auto it = ranks_.find(key);
      if (it != ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best == symbols.size()) break;
    const std::string first = symbols[best];
    const std::string second = symbols[best + 1];
    std::vector<std::string> merged;
    merged.reserve(symbols.size());
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == first && symbols[i + 1] == second) {
        merged.push_back(first + second);
        i += 2;
      } else {
        merged.push_back(std::move(symbols[i]));
        ++i;
      }
    }
    symbols = std::move(merged);
  }

  std::vector<int32_t> ids;
  ids.reserve(symbols.size());
  for (const std::string& s : symbols) {
    auto it = token_to_id_.find(s);
    if (it == token_to_id_.end()) {
      throw Error(ErrorCode::corrupt_data, "BPE vocabulary has no token '" + s + "'");
    }
    ids.push_back(it->second);
  }
  return ids;
}

std::vector<int32_t> BpeModel::encode_word(std::string_view raw_bytes) const {
  if (raw_bytes == kSot) return {sot_id_};
  if (raw_bytes == kEot) return {eot_id_};
  std::string word;
  word.reserve(raw_bytes.size() * 2);
  for (char c : raw_bytes) word += byte_symbols()[static_cast<uint8_t>(c)];
  {
    std::shared_lock lock(cache_mutex_);
    auto it = cache_.find(word);
    if (it != cache_.end()) return it->second;
  }
  std::vector<int32_t> ids = bpe(word);
  {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::move(word), ids);
  }
  return ids;
}

std::string BpeModel::decode(const int32_t* ids, size_t count) const {
  static const std::unordered_map<char32_t, uint8_t> unicode_to_byte = [] {
    std::unordered_map<char32_t, uint8_t> m;
    for (int b = 0; b < 256; ++b) m[byte_to_unicode()[b]] = static_cast<uint8_t>(b);
    return m;
  }();
  std::string bytes;
  for (size_t i = 0; i < count; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || static_cast<size_t>(id) >= id_to_token_.size()) {
      throw Error(ErrorCode::invalid_argument,
                  "token id " + std::to_string(id) + " is outside the vocabulary of " +
                      std::to_string(id_to_token_.size()));
    }
    for (char32_t c : decode_utf8(id_to_token_[static_cast<size_t>(id)])) {
      auto it = unicode_to_byte.find(c);
      if (it != unicode_to_byte.end()) bytes.push_back(static_cast<char>(it->second));
    }
  }
  // errors="replace", then "</w>" marks the end of a word.
  std::string text = encode_utf8(decode_utf8(bytes));
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, kEndOfWord.size(), kEndOfWord) == 0) {
      out.push_back(' ');
      i += kEndOfWord.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

}  // namespace clipkit::text
