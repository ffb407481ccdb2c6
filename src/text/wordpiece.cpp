// text/wordpiece.cpp — cn_clip's bert_tokenizer.py, step by step (see wordpiece.hpp).
#include "text/wordpiece.hpp"

#include <algorithm>

#include "clipkit/error.hpp"
#include "clipkit/utf8.hpp"
#include "core/file.hpp"
#include "text/unicode.hpp"

namespace clipkit::text {

namespace {

constexpr size_t kMaxVocabBytes = size_t{64} << 20;  // Chinese-CLIP's vocab.txt is 107 KB

// The text for an error message: at most 60 code points, quoted.
std::string quote(std::string_view text) { return "\"" + abbreviate(text) + "\""; }

void check_utf8(std::string_view text) {
  if (const auto at = invalid_utf8_offset(text)) {
    throw Error(ErrorCode::invalid_argument, "text is not valid UTF-8 (bad byte at offset " + std::to_string(*at) +
                                                 "): " + quote(utf8_for_display(text)));
  }
}

// BasicTokenizer._is_chinese_char: the CJK Unified Ideographs blocks and extensions
// A-E, and the two compatibility blocks, as cn_clip lists them.
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// _is_punctuation: every non-alphanumeric printable ASCII character, and Unicode P*.
bool is_bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return is_punctuation(c);
}

// whitespace_tokenize / str.split(): runs of Python whitespace separate words.
void split_on_space(std::u32string_view text, std::vector<std::u32string>& out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_python_space(text[i])) ++i;
    const size_t begin = i;
    while (i < text.size() && !is_python_space(text[i])) ++i;
    if (i > begin) out.emplace_back(text.substr(begin, i - begin));
  }
}

}  // namespace

WordPieceTokenizer WordPieceTokenizer::load(const std::filesystem::path& vocab_file, const WordPieceOptions& options) {
  const std::string contents = core::read_text_file(vocab_file, kMaxVocabBytes, "a WordPiece vocabulary (vocab.txt)");
  return from_text(contents, vocab_file.string(), options);
}

WordPieceTokenizer WordPieceTokenizer::from_text(std::string_view contents, const std::string& name,
                                                 const WordPieceOptions& options) {
  if (const auto at = invalid_utf8_offset(contents)) {
    size_t line = 1;
    for (size_t i = 0; i < *at; ++i) {
      if (contents[i] == '\n' || (contents[i] == '\r' && (i + 1 >= contents.size() || contents[i + 1] != '\n'))) ++line;
    }
    throw Error(ErrorCode::corrupt_data, name + ": not a WordPiece vocabulary (line " + std::to_string(line) +
                                             " is not valid UTF-8: bad byte at offset " + std::to_string(*at) + ")");
  }
  WordPieceTokenizer t;
  t.name_ = name;
  t.options_ = options;
  // Python's readline in text mode: a line ends after \n, \r\n or a lone \r; a last
  // line without an ending still counts; nothing after the final ending does.
  size_t i = 0;
  while (i < contents.size()) {
    size_t end = i;
    while (end < contents.size() && contents[end] != '\n' && contents[end] != '\r') ++end;
    const std::u32string line = decode_utf8(contents.substr(i, end - i));
    std::string token = encode_utf8(python_strip(line));
    i = end;
    if (i < contents.size()) i += (contents[i] == '\r' && i + 1 < contents.size() && contents[i + 1] == '\n') ? 2 : 1;
    const auto id = static_cast<int32_t>(t.tokens_.size());
    t.max_token_bytes_ = std::max(t.max_token_bytes_, token.size());
    t.ids_[token] = id;
    t.tokens_.push_back(std::move(token));
  }
  const auto require = [&](const char* token) {
    const auto it = t.ids_.find(token);
    if (it == t.ids_.end()) {
      throw Error(ErrorCode::corrupt_data, name + ": the WordPiece vocabulary has no " + token + " token (" +
                                               std::to_string(t.tokens_.size()) + " lines)");
    }
    return it->second;
  };
  t.cls_id_ = require("[CLS]");
  t.sep_id_ = require("[SEP]");
  t.unk_id_ = require("[UNK]");
  return t;
}

std::vector<std::u32string> WordPieceTokenizer::basic_words(std::string_view text) const {
  check_utf8(text);
  const std::u32string chars = decode_utf8(text);
  // _clean_text, then _tokenize_chinese_chars.
  std::u32string cleaned;
  cleaned.reserve(chars.size());
  for (const char32_t c : chars) {
    const bool space = c == U' ' || c == U'\t' || c == U'\n' || c == U'\r';
    if (c == 0 || c == 0xFFFD || (!space && is_control_or_format(c))) continue;
    if (space || is_space_separator(c)) {
      cleaned.push_back(U' ');
    } else if (is_chinese_char(c)) {
      cleaned.push_back(U' ');
      cleaned.push_back(c);
      cleaned.push_back(U' ');
    } else {
      cleaned.push_back(c);
    }
  }
  std::vector<std::u32string> words;
  split_on_space(cleaned, words);
  std::vector<std::u32string> out;
  out.reserve(words.size());
  for (std::u32string& word : words) {
    if (options_.lower_case) {
      // _run_strip_accents(token.lower()): the lower-casing sees one whitespace-separated
      // word at a time (that matters for the final sigma).
      const std::u32string decomposed = nfd(python_lower(word));
      word.clear();
      for (const char32_t c : decomposed) {
        if (!is_nonspacing_mark(c)) word.push_back(c);
      }
    }
    // _run_split_on_punc, then the final whitespace_tokenize(" ".join(...)).
    std::u32string current;
    const auto flush = [&] {
      if (!current.empty()) split_on_space(current, out);
      current.clear();
    };
    for (const char32_t c : word) {
      if (is_bert_punctuation(c)) {
        flush();
        out.emplace_back(1, c);
      } else {
        current.push_back(c);
      }
    }
    flush();
  }
  return out;
}

void WordPieceTokenizer::wordpiece(const std::u32string& word, std::vector<int32_t>& ids,
                                   std::vector<std::string>* pieces) const {
  const auto unknown = [&] {
    ids.push_back(unk_id_);
    if (pieces) pieces->emplace_back("[UNK]");
  };
  if (word.size() > options_.max_chars_per_word) return unknown();
  // Byte offsets of each code point, so substrings are slices of one UTF-8 string.
  std::string utf8;
  std::vector<size_t> offsets;
  offsets.reserve(word.size() + 1);
  for (const char32_t c : word) {
    offsets.push_back(utf8.size());
    append_utf8(utf8, c);
  }
  offsets.push_back(utf8.size());
  const size_t first_id = ids.size();
  const size_t first_piece = pieces ? pieces->size() : 0;
  std::string key;
  size_t start = 0;
  while (start < word.size()) {
    const std::string_view prefix = start > 0 ? "##" : "";
    int32_t found = -1;
    size_t end = word.size();
    for (; end > start; --end) {
      const size_t bytes = offsets[end] - offsets[start];
      if (prefix.size() + bytes > max_token_bytes_) continue;  // longer than every token
      key.assign(prefix);
      key.append(utf8, offsets[start], bytes);
      if (const auto it = ids_.find(key); it != ids_.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      // One unmatched rest makes the whole word [UNK], dropping the pieces found so far.
      ids.resize(first_id);
      if (pieces) pieces->resize(first_piece);
      return unknown();
    }
    ids.push_back(found);
    if (pieces) pieces->push_back(key);
    start = end;
  }
}

std::vector<std::string> WordPieceTokenizer::basic_tokenize(std::string_view text) const {
  std::vector<std::string> out;
  for (const std::u32string& word : basic_words(text)) out.push_back(encode_utf8(word));
  return out;
}

std::vector<std::string> WordPieceTokenizer::pieces(std::string_view text) const {
  std::vector<std::string> out;
  std::vector<int32_t> ids;
  for (const std::u32string& word : basic_words(text)) wordpiece(word, ids, &out);
  return out;
}

std::vector<int32_t> WordPieceTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  if (!options_.text_specials) {
    for (const std::u32string& word : basic_words(text)) wordpiece(word, ids, nullptr);
    return ids;
  }
  basic_words(text);  // the UTF-8 check, on the whole text
  // transformers' added tokens: a special token's surface string anywhere in the text is
  // that token; the stretches between are tokenized on their own.
  static constexpr std::string_view kSpecials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t at = std::string_view::npos, length = 0;
    int32_t id = -1;
    for (std::string_view special : kSpecials) {
      const auto it = ids_.find(std::string(special));
      const size_t found = it == ids_.end() ? std::string_view::npos : rest.find(special);
      if (found < at) at = found, length = special.size(), id = it->second;
    }
    for (const std::u32string& word : basic_words(rest.substr(0, at))) wordpiece(word, ids, nullptr);
    if (at == std::string_view::npos) break;
    ids.push_back(id);
    rest.remove_prefix(at + length);
  }
  return ids;
}

std::vector<int32_t> WordPieceTokenizer::tokenize(std::string_view text, int context_length, bool truncate) const {
  if (context_length < 2) {
    throw Error(ErrorCode::invalid_argument,
                "context_length must hold [CLS] and [SEP] (at least 2), got " + std::to_string(context_length));
  }
  const size_t room = static_cast<size_t>(context_length) - 2;
  std::vector<int32_t> ids = encode(text);
  if (ids.size() > room) {
    if (!truncate) {
      throw Error(ErrorCode::invalid_argument, "input text is too long for context length " +
                                                   std::to_string(context_length) + " (" +
                                                   std::to_string(ids.size() + 2) +
                                                   " tokens with [CLS]/[SEP]): " + quote(text));
    }
    ids.resize(room);
  }
  std::vector<int32_t> row;
  row.reserve(static_cast<size_t>(context_length));
  row.push_back(cls_id_);
  row.insert(row.end(), ids.begin(), ids.end());
  row.push_back(sep_id_);
  row.resize(static_cast<size_t>(context_length), 0);
  return row;
}

std::string WordPieceTokenizer::decode(std::span<const int32_t> ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (id <= 0 || id >= vocab_size() || id == cls_id_ || id == sep_id_) continue;
    const std::string& token = tokens_[static_cast<size_t>(id)];
    if (token.starts_with("##") && !out.empty()) {
      out.append(token, 2);
    } else {
      if (!out.empty()) out.push_back(' ');
      out += token;
    }
  }
  return out;
}

}  // namespace clipkit::text
