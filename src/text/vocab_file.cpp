// text/vocab_file.cpp — vocabulary file layouts and their errors.
#include "text/vocab_file.hpp"

#include <fstream>
#include <iterator>
#include <limits>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "core/json_excerpt.hpp"

namespace clipkit::text {
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
  constexpr size_t kMaxVocabBytes = size_t{256} << 20;  // XLM-R's tokenizer.json is 17 MB
  return core::read_text_file(path, kMaxVocabBytes, "a vocabulary file");
}

std::string gunzip(const std::string& data, const fs::path& path) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw Error(ErrorCode::internal, "zlib inflateInit2 failed for " + path.string());
  }
  std::string out;
  char buffer[1 << 16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int ret = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    ret = inflate(&zs, Z_NO_FLUSH);
    if (ret != Z_OK && ret != Z_STREAM_END) break;
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (as `gzip` concatenation allows).
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      ret = Z_BUF_ERROR;  // input ended inside the stream
      break;
    }
  }
  const std::string detail = zs.msg ? zs.msg : (ret == Z_BUF_ERROR ? "truncated stream" : "bad stream");
  inflateEnd(&zs);
  if (ret != Z_STREAM_END) {
    throw Error(ErrorCode::corrupt_data, "corrupt gzip data in " + path.string() + ": " + detail);
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

BpeModel load_hf(const fs::path& vocab_json, const fs::path& merges_txt) {
  const std::string json_text = read_file(vocab_json);
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(ErrorCode::corrupt_data, vocab_json.string() + ": not a JSON object of token -> id");
  }
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      throw Error(ErrorCode::corrupt_data,
                  vocab_json.string() + ": token " + core::json_excerpt(it.key()) + " has id " +
                      core::json_excerpt(it.value()) +
                      ", expected a non-negative integer");
    }
    vocab.emplace(it.key(), static_cast<int32_t>(it.value().get<int64_t>()));
  }
  std::string merges_text = read_maybe_gzip(merges_txt);
  // Hugging Face's merges.txt starts with "#version: ..." rather than a plain header.
  std::string_view body = merges_text;
  std::vector<BpeModel::Merge> merges;
  if (body.starts_with("#")) {
    merges = parse_merges(body, merges_txt.string(), std::numeric_limits<size_t>::max());
  } else {
    const std::string with_header = "\n" + merges_text;
    merges = parse_merges(with_header, merges_txt.string(), std::numeric_limits<size_t>::max());
  }
  for (const auto& m : merges) {
    if (!vocab.count(m.first + m.second)) {
      throw Error(ErrorCode::corrupt_data, merges_txt.string() + ": merge '" + m.first + " " + m.second +
                                               "' makes a token missing from " + vocab_json.string());
    }
  }
  return BpeModel::from_vocab(std::move(vocab), merges, vocab_json.string());
}

BpeModel load_merges_file(const fs::path& path) {
  const std::string text = read_maybe_gzip(path);
  const size_t header_end = text.find('\n');
  const std::string_view header = std::string_view(text).substr(0, header_end);
  // OpenAI's own file: simple_tokenizer keeps only its first 48894 merges.
  const bool openai = header.find("bpe_simple_vocab_16e6") != std::string_view::npos ||
                      path.filename().string().starts_with("bpe_simple_vocab_16e6");
  const size_t cap = openai ? kOpenAiMergeCount : std::numeric_limits<size_t>::max();
  return BpeModel::from_merges(parse_merges(text, path.string(), cap));
}

}  // namespace

std::string read_maybe_gzip(const fs::path& path) {
  std::string data = read_file(path);
  if (data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x1F && static_cast<uint8_t>(data[1]) == 0x8B) {
    return gunzip(data, path);
  }
  if (path.extension() == ".gz") {
    throw Error(ErrorCode::corrupt_data, "corrupt gzip data in " + path.string() + ": no gzip header");
  }
  return data;
}

std::vector<BpeModel::Merge> parse_merges(std::string_view text, const std::string& source, size_t max_merges) {
  std::vector<BpeModel::Merge> merges;
  size_t pos = text.find('\n');  // the first line is a header
  if (pos == std::string_view::npos) return merges;
  ++pos;
  size_t line_number = 1;
  while (pos < text.size() && merges.size() < max_merges) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    ++line_number;
    const auto words = split_words(line);
    if (words.empty()) {
      // Blank lines are only allowed at the end of the file.
      const std::string_view rest = text.substr(end);
      if (rest.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos) break;
    }
    if (words.size() != 2) {
      throw Error(ErrorCode::corrupt_data, source + ": line " + std::to_string(line_number) +
                                               " is not a merge of two symbols: '" +
                                               std::string(line.substr(0, 80)) + "'");
    }
    merges.emplace_back(std::string(words[0]), std::string(words[1]));
    pos = end + 1;
  }
  return merges;
}

BpeModel load_vocab(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorCode::not_found, "vocabulary not found: " + path.string());
  }
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "vocab.json", ec) && fs::exists(path / "merges.txt", ec)) {
      return load_hf(path / "vocab.json", path / "merges.txt");
    }
    if (fs::exists(path / "bpe_simple_vocab_16e6.txt.gz", ec)) {
      return load_merges_file(path / "bpe_simple_vocab_16e6.txt.gz");
    }
    if (fs::exists(path / "merges.txt", ec)) return load_merges_file(path / "merges.txt");
    std::vector<fs::path> gz;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.size() > 7 && name.ends_with(".txt.gz")) gz.push_back(entry.path());
    }
    if (gz.size() == 1) return load_merges_file(gz.front());
    throw Error(ErrorCode::not_found,
                "no vocabulary in folder " + path.string() +
                    (gz.empty() ? std::string(" (expected vocab.json + merges.txt, or a *.txt.gz merges file)")
                                : std::string(" (several *.txt.gz files; pass one)")));
  }
  const std::string name = path.filename().string();
  if (name == "vocab.json" || path.extension() == ".json") {
    const fs::path merges = path.parent_path() / "merges.txt";
    if (!fs::exists(merges, ec)) {
      throw Error(ErrorCode::not_found, "merges.txt not found beside " + path.string());
    }
    return load_hf(path, merges);
  }
  const fs::path vocab_json = path.parent_path() / "vocab.json";
  if (name == "merges.txt" && fs::exists(vocab_json, ec)) return load_hf(vocab_json, path);
  return load_merges_file(path);
}

}  // namespace clipkit::text
