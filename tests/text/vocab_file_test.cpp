// tests/text/vocab_file_test.cpp — vocabulary layouts (OpenAI gz, other merges
// files, Hugging Face vocab.json + merges.txt) and the errors for bad files.
#include "text/vocab_file.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "clipkit/error.hpp"
#include "clipkit/tokenizer.hpp"
#include "support/test_support.hpp"
#include "text/bpe.hpp"
#include "text/unicode.hpp"

namespace {

namespace fs = std::filesystem;
using clipkit::Error;
using clipkit::ErrorCode;
using clipkit::Tokenizer;
using clipkit::testing::TempDir;

constexpr size_t kSmallMergeCount = 2000;

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

void write_gzip(const fs::path& path, const std::string& text) {
  gzFile f = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

// The first `count` merges of OpenAI's file, one "a b" per line.
std::vector<std::string> first_merge_lines(size_t count) {
  const std::string all = clipkit::text::read_maybe_gzip(clipkit::testing::bpe_vocab());
  std::vector<std::string> lines;
  size_t pos = all.find('\n') + 1;
  while (lines.size() < count) {
    const size_t end = all.find('\n', pos);
    lines.push_back(all.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

std::string symbol(uint8_t b) {
  std::string s;
  clipkit::text::append_utf8(s, clipkit::text::byte_to_unicode()[b]);
  return s;
}

// vocab.json + merges.txt as Hugging Face writes them for CLIP, from OpenAI's
// first merges (so ids agree with OpenAI's vocabulary for the tokens they make).
void write_hf_pair(const fs::path& dir, size_t merge_count) {
  const auto merges = first_merge_lines(merge_count);
  std::vector<uint8_t> order;
  for (int b = '!'; b <= '~'; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = 0xA1; b <= 0xAC; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = 0xAE; b <= 0xFF; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = 0; b < 256; ++b) {
    if (std::find(order.begin(), order.end(), static_cast<uint8_t>(b)) == order.end()) {
      order.push_back(static_cast<uint8_t>(b));
    }
  }
  nlohmann::json vocab = nlohmann::json::object();
  int id = 0;
  for (uint8_t b : order) vocab[symbol(b)] = id++;
  for (uint8_t b : order) vocab[symbol(b) + "</w>"] = id++;
  std::string merges_txt = "#version: 0.2\n";
  for (const std::string& m : merges) {
    const size_t space = m.find(' ');
    vocab[m.substr(0, space) + m.substr(space + 1)] = id++;
    merges_txt += m + "\n";
  }
  vocab["<|startoftext|>"] = id++;
  vocab["<|endoftext|>"] = id++;
  write_text(dir / "vocab.json", vocab.dump());
  write_text(dir / "merges.txt", merges_txt);
}

template <typename F>
void expect_error(F&& f, ErrorCode code, const std::string& must_mention) {
  try {
    f();
    ADD_FAILURE() << "expected an error mentioning " << must_mention;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(must_mention), std::string::npos) << e.what();
  }
}

TEST(VocabFile, OpenAiFileKeepsItsFirst48894Merges) {
  const auto model = clipkit::text::load_vocab(clipkit::testing::bpe_vocab());
  EXPECT_EQ(model.vocab_size(), 49408);
  EXPECT_EQ(model.sot_id(), 49406);
  EXPECT_EQ(model.eot_id(), 49407);
}

TEST(VocabFile, HuggingFacePairAgreesWithOpenAi) {
  TempDir dir;
  write_hf_pair(dir.path(), kSmallMergeCount);
  const Tokenizer reference = Tokenizer::from_file(clipkit::testing::bpe_vocab());
  const std::string text = "a photo of a dog, the cat and the car";
  const std::vector<int32_t> expected = reference.encode(text);
  for (int32_t id : expected) ASSERT_LT(id, static_cast<int32_t>(512 + kSmallMergeCount)) << "test text needs more merges";
  for (const fs::path& p : {dir.path(), dir.path() / "vocab.json", dir.path() / "merges.txt"}) {
    const Tokenizer hf = Tokenizer::from_file(p);
    EXPECT_EQ(hf.encode(text), expected) << p;
    EXPECT_EQ(hf.sot_id(), static_cast<int32_t>(512 + kSmallMergeCount)) << p;
    EXPECT_EQ(hf.eot_id(), static_cast<int32_t>(512 + kSmallMergeCount + 1)) << p;
    EXPECT_EQ(hf.vocab_size(), static_cast<int32_t>(512 + kSmallMergeCount + 2)) << p;
    const auto row = hf.tokenize("a dog");
    EXPECT_EQ(row[0], hf.sot_id());
    EXPECT_EQ(row[3], hf.eot_id());
  }
  // A word needing later merges is split further, not mapped to an unknown id.
  const auto rare = Tokenizer::from_file(dir.path()).encode("chowder");
  EXPECT_GT(rare.size(), 1u);
  EXPECT_NE(rare, reference.encode("chowder"));
}

TEST(VocabFile, OtherMergesFilesKeepAllMerges) {
  TempDir dir;
  std::string text = "#version: 0.2 small\n";
  for (const std::string& m : first_merge_lines(kSmallMergeCount)) text += m + "\n";
  write_gzip(dir.path() / "small.txt.gz", text);
  write_text(dir.path() / "plain.txt", text);
  for (const fs::path& p : {dir.path() / "small.txt.gz", dir.path() / "plain.txt"}) {
    const Tokenizer tok = Tokenizer::from_file(p);
    EXPECT_EQ(tok.vocab_size(), static_cast<int32_t>(512 + kSmallMergeCount + 2)) << p;
    EXPECT_EQ(tok.sot_id(), static_cast<int32_t>(512 + kSmallMergeCount)) << p;
    EXPECT_EQ(tok.encode("a photo of a dog"), (std::vector<int32_t>{320, 1125, 539, 320, 1929})) << p;
  }
}

TEST(VocabFile, FolderWithOpenAiFile) {
  TempDir dir;
  fs::copy_file(clipkit::testing::bpe_vocab(), dir.path() / "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(Tokenizer::from_file(dir.path()).vocab_size(), 49408);
}

TEST(VocabFile, MissingFiles) {
  TempDir dir;
  expect_error([&] { Tokenizer::from_file(dir.path() / "nope.txt.gz"); }, ErrorCode::not_found, "nope.txt.gz");
  expect_error([&] { Tokenizer::from_file(dir.path()); }, ErrorCode::not_found, dir.path().string());
  write_text(dir.path() / "vocab.json", "{}");
  expect_error([&] { Tokenizer::from_file(dir.path() / "vocab.json"); }, ErrorCode::not_found, "merges.txt");
}

// Issue 15: the message dumped the id, recursing once per level (stack overflow).
TEST(VocabFile, DeeplyNestedIdIsAnError) {
  TempDir dir;
  write_text(dir.path() / "vocab.json",
             R"({"a": 0, "b": [)" + std::string(200000, '[') + std::string(200000, ']') + "]}");
  write_text(dir.path() / "merges.txt", "#version: 0.2\na b\n");
  expect_error([&] { Tokenizer::from_file(dir.path() / "vocab.json"); }, ErrorCode::corrupt_data,
               "token \"b\" has id an array of 1 entries");
}

TEST(VocabFile, CorruptGzip) {
  TempDir dir;
  std::string text = "header\n";
  for (const std::string& m : first_merge_lines(500)) text += m + "\n";
  write_gzip(dir.path() / "good.txt.gz", text);
  std::string bytes = clipkit::testing::read_text(dir.path() / "good.txt.gz");
  // Truncated stream.
  write_text(dir.path() / "truncated.txt.gz", bytes.substr(0, bytes.size() / 2));
  expect_error([&] { Tokenizer::from_file(dir.path() / "truncated.txt.gz"); }, ErrorCode::corrupt_data,
               "truncated.txt.gz");
  // Garbage after a valid gzip header.
  std::string garbage = bytes.substr(0, 10) + std::string(200, '\x55');
  write_text(dir.path() / "garbage.txt.gz", garbage);
  expect_error([&] { Tokenizer::from_file(dir.path() / "garbage.txt.gz"); }, ErrorCode::corrupt_data,
               "garbage.txt.gz");
  // A .gz name without gzip content.
  write_text(dir.path() / "plain.txt.gz", "not gzip at all\n");
  expect_error([&] { Tokenizer::from_file(dir.path() / "plain.txt.gz"); }, ErrorCode::corrupt_data,
               "plain.txt.gz");
}

TEST(VocabFile, MalformedMergeLine) {
  TempDir dir;
  write_text(dir.path() / "bad_merges.txt", "header\ni n\nt h e\nt h\n");
  expect_error([&] { Tokenizer::from_file(dir.path() / "bad_merges.txt"); }, ErrorCode::corrupt_data,
               "bad_merges.txt: line 3");
  write_text(dir.path() / "blank_inside.txt", "header\ni n\n\nt h\n");
  expect_error([&] { Tokenizer::from_file(dir.path() / "blank_inside.txt"); }, ErrorCode::corrupt_data,
               "blank_inside.txt");
  // Trailing blank lines are fine.
  write_text(dir.path() / "trailing.txt", "header\ni n\nt h\n\n\n");
  EXPECT_EQ(Tokenizer::from_file(dir.path() / "trailing.txt").vocab_size(), 512 + 2 + 2);
}

TEST(VocabFile, BadVocabJson) {
  TempDir dir;
  write_text(dir.path() / "merges.txt", "#version: 0.2\ni n\n");
  write_text(dir.path() / "vocab.json", "[1, 2");
  expect_error([&] { Tokenizer::from_file(dir.path()); }, ErrorCode::corrupt_data, "vocab.json");
  write_text(dir.path() / "vocab.json", R"({"a": "x"})");
  expect_error([&] { Tokenizer::from_file(dir.path()); }, ErrorCode::corrupt_data, "vocab.json");
  write_text(dir.path() / "vocab.json", R"({"in": 0})");
  expect_error([&] { Tokenizer::from_file(dir.path()); }, ErrorCode::corrupt_data, "<|startoftext|>");
}

}  // namespace
