// text/bpe.cpp — byte-level BPE as simple_tokenizer.bpe: repeatedly merge the
// lowest-ranked adjacent pair (all its occurrences, left to right) until no
// ranked pair remains; in O(n log n) (bpe), beside the literal O(n^2) loop
// (bpe_reference) it is tested against.
#include "text/bpe.hpp"

#include <limits>
#include <queue>

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

namespace {

// The byte-encoded word split into UTF-8 symbols; the last one carries "</w>".
std::vector<std::string> initial_symbols(const std::string& word) {
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
  if (!symbols.empty()) symbols.back() += kEndOfWord;
  return symbols;
}

}  // namespace

std::vector<int32_t> BpeModel::ids_of(const std::vector<std::string>& symbols) const {
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

// simple_tokenizer.bpe literally: find the lowest-ranked adjacent pair, merge all its
// occurrences left to right, repeat. O(n) pair lookups per merge round, O(n^2) for a
// word of n symbols: the reference for bpe() below.
std::vector<int32_t> BpeModel::bpe_reference(const std::string& word) const {
  std::vector<std::string> symbols = initial_symbols(word);
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
  return ids_of(symbols);
}

// The same merges in O(n log n): the symbols form a linked list (a merge keeps the left
// node), and every adjacent pair with a rank waits in a min-heap ordered by (rank, left
// position). A round takes every entry of the lowest rank at once — all occurrences of
// that one pair, in position order — and merges those still intact (an occurrence
// whose left symbol was just merged away is skipped, as the reference skips it), then
// queues the pairs the merges created. Entries remember the versions of their two
// nodes; one whose node changed since is stale and dropped. A merge never re-creates the
// pair it merged (first+second equals neither), so a round never feeds itself.
std::vector<int32_t> BpeModel::bpe(const std::string& word) const {
  std::vector<std::string> symbols = initial_symbols(word);
  const size_t n = symbols.size();
  if (n < 2) return ids_of(symbols);
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  std::vector<size_t> prev(n), next(n);
  std::vector<uint32_t> version(n, 0);
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = i == 0 ? kNone : i - 1;
    next[i] = i + 1 == n ? kNone : i + 1;
  }
  struct Candidate {
    int32_t rank;
    size_t left, right;
    uint32_t left_version, right_version;
  };
  const auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> heap(later);
  std::string key;
  const auto queue_pair = [&](size_t left) {
    const size_t right = next[left];
    if (right == kNone) return;
    key.assign(symbols[left]).append(" ").append(symbols[right]);
    const auto it = ranks_.find(key);
    if (it != ranks_.end()) heap.push({it->second, left, right, version[left], version[right]});
  };
  const auto intact = [&](const Candidate& c) {
    return alive[c.left] && alive[c.right] && next[c.left] == c.right && version[c.left] == c.left_version &&
           version[c.right] == c.right_version;
  };
  for (size_t i = 0; i + 1 < n; ++i) queue_pair(i);

  std::vector<Candidate> round;
  std::vector<size_t> merged;
  while (!heap.empty()) {
    const int32_t rank = heap.top().rank;
    round.clear();
    while (!heap.empty() && heap.top().rank == rank) {
      round.push_back(heap.top());
      heap.pop();
    }
    merged.clear();
    for (const Candidate& c : round) {
      if (!intact(c)) continue;
      symbols[c.left] += symbols[c.right];
      ++version[c.left];
      alive[c.right] = false;
      next[c.left] = next[c.right];
      if (next[c.right] != kNone) prev[next[c.right]] = c.left;
      merged.push_back(c.left);
    }
    for (size_t left : merged) {
      if (!alive[left]) continue;
      if (prev[left] != kNone) queue_pair(prev[left]);
      queue_pair(left);
    }
  }
  std::vector<std::string> result;
  for (size_t i = 0; i != kNone; i = next[i]) result.push_back(std::move(symbols[i]));
  return ids_of(result);
}

std::vector<int32_t> BpeModel::encode_word_reference(std::string_view raw_bytes) const {
  if (raw_bytes == kSot) return {sot_id_};
  if (raw_bytes == kEot) return {eot_id_};
  std::string word;
  for (char c : raw_bytes) word += byte_symbols()[static_cast<uint8_t>(c)];
  return bpe_reference(word);
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
