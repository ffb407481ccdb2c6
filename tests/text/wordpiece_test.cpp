// tests/text/wordpiece_test.cpp — text::WordPieceTokenizer against Chinese-CLIP's own
// bert_tokenizer.py + cn_clip.clip.tokenize (tests/data/chinese_clip/wordpiece_goldens.jsonl,
// made by tests/reference/wordpiece_goldens.py): every text of tokenizer_cases.jsonl
// plus CJK / Japanese / Korean / accents / emoji / control-character / over-long
// extras, on a small vocab.txt and on a vocab.txt in odd shapes (BOM, CR line ends,
// padding, repeated tokens).
#include "text/wordpiece.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "clipkit/tokenizer.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using clipkit::ErrorCode;
using clipkit::testing::expect_error;
using clipkit::testing::first_difference;
using clipkit::text::WordPieceOptions;
using clipkit::text::WordPieceTokenizer;

fs::path data_dir() { return clipkit::testing::source_dir() / "tests" / "data" / "chinese_clip"; }

struct Golden {
  std::string vocab;
  std::string text;
  std::vector<std::string> basic;
  std::vector<std::string> pieces;
  std::vector<int32_t> ids;
  std::vector<int32_t> tokens_52;
  std::vector<int32_t> tokens_8;
};

const std::vector<Golden>& goldens() {
  static const std::vector<Golden> all = [] {
    std::vector<Golden> out;
    std::ifstream in(data_dir() / "wordpiece_goldens.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back(Golden{j.at("vocab"), j.at("text"), j.at("basic"), j.at("pieces"), j.at("ids"), j.at("tokens_52"),
                           j.at("tokens_8")});
    }
    return out;
  }();
  return all;
}

const WordPieceTokenizer& tokenizer(const std::string& vocab) {
  static const std::map<std::string, WordPieceTokenizer> all = [] {
    std::map<std::string, WordPieceTokenizer> out;
    out.emplace("vocab.txt", WordPieceTokenizer::load(data_dir() / "vocab.txt"));
    out.emplace("quirky_vocab.txt", WordPieceTokenizer::load(data_dir() / "quirky_vocab.txt"));
    return out;
  }();
  return all.at(vocab);
}

std::string strings_difference(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  if (expected == actual) return "";
  const size_t n = std::min(expected.size(), actual.size());
  size_t i = 0;
  while (i < n && expected[i] == actual[i]) ++i;
  return "size " + std::to_string(expected.size()) + " vs " + std::to_string(actual.size()) + ", first difference at " +
         std::to_string(i) + ": expected " + (i < expected.size() ? nlohmann::json(expected[i]).dump() : "(end)") +
         ", got " + (i < actual.size() ? nlohmann::json(actual[i]).dump() : "(end)");
}

// Checks one golden; returns "" when everything matches.
std::string check(const Golden& g) {
  const WordPieceTokenizer& tok = tokenizer(g.vocab);
  std::string problems;
  if (auto d = strings_difference(g.basic, tok.basic_tokenize(g.text)); !d.empty()) problems += " basic: " + d;
  if (auto d = strings_difference(g.pieces, tok.pieces(g.text)); !d.empty()) problems += " pieces: " + d;
  if (auto d = first_difference(g.ids, tok.encode(g.text)); !d.empty()) problems += " encode: " + d;
  if (auto d = first_difference(g.tokens_52, tok.tokenize(g.text, 52, true)); !d.empty()) problems += " tokens_52: " + d;
  if (auto d = first_difference(g.tokens_8, tok.tokenize(g.text, 8, true)); !d.empty()) problems += " tokens_8: " + d;
  bool threw = false;
  try {
    tok.tokenize(g.text, 52, /*truncate=*/false);
  } catch (const clipkit::Error& e) {
    threw = e.code() == ErrorCode::invalid_argument;
  }
  if (threw != (g.ids.size() > 50)) problems += threw ? " truncate=false threw" : " truncate=false did not throw";
  return problems;
}

TEST(WordPiece, GoldensCoverEveryFixtureTextAndTheExtras) {
  size_t main_vocab = 0, quirky = 0, with_unk = 0, with_continuation = 0, cut = 0;
  for (const Golden& g : goldens()) {
    (g.vocab == "vocab.txt" ? main_vocab : quirky) += 1;
    with_unk += std::find(g.pieces.begin(), g.pieces.end(), "[UNK]") != g.pieces.end();
    with_continuation += std::any_of(g.pieces.begin(), g.pieces.end(), [](const std::string& p) { return p.starts_with("##"); });
    cut += g.ids.size() > 50;
  }
  EXPECT_EQ(main_vocab, 643u + 57u);  // tokenizer_cases.jsonl + the generator's extras
  EXPECT_EQ(quirky, 8u);
  // The goldens exercise what they are for: unknown words, continuations, truncation.
  EXPECT_GE(with_unk, 100u);
  EXPECT_GE(with_continuation, 300u);
  EXPECT_GE(cut, 5u);
}

TEST(WordPiece, EveryGoldenMatchesChineseClip) {
  size_t matched = 0;
  for (size_t i = 0; i < goldens().size(); ++i) {
    const std::string problems = check(goldens()[i]);
    if (problems.empty()) {
      ++matched;
    } else {
      ADD_FAILURE() << "golden " << i << " (" << goldens()[i].vocab << ") text=" << nlohmann::json(goldens()[i].text).dump()
                    << ":" << problems;
    }
  }
  EXPECT_EQ(matched, goldens().size());
}

TEST(WordPiece, VocabularyIdsAreLines) {
  const WordPieceTokenizer& tok = tokenizer("vocab.txt");
  EXPECT_EQ(tok.vocab_size(), 2564);
  EXPECT_EQ(tok.unk_id(), 100);
  EXPECT_EQ(tok.cls_id(), 101);
  EXPECT_EQ(tok.sep_id(), 102);
  // quirky_vocab.txt: "\ufeff[PAD]\r\n[UNK]\n  [CLS]\t\n[SEP]\r猫\n\n##猫\u00a0\n  \n狗..."; the BOM stays
  // part of the first token, a lone CR ends a line, "猫" on lines 5 and 22 has id 21.
  const WordPieceTokenizer& q = tokenizer("quirky_vocab.txt");
  EXPECT_EQ(q.vocab_size(), 24);
  EXPECT_EQ(q.unk_id(), 1);
  EXPECT_EQ(q.cls_id(), 2);
  EXPECT_EQ(q.sep_id(), 3);
  EXPECT_EQ(q.encode("猫"), std::vector<int32_t>{21});
  EXPECT_EQ(q.encode("猫猫"), (std::vector<int32_t>{21, 21}));
}

TEST(WordPiece, RowsKeepClsAndSepWhenCut) {
  const WordPieceTokenizer& tok = tokenizer("vocab.txt");
  std::string cats;
  for (int i = 0; i < 60; ++i) cats += "猫";
  const std::vector<int32_t> row = tok.tokenize(cats, 52, true);
  ASSERT_EQ(row.size(), 52u);
  EXPECT_EQ(row.front(), tok.cls_id());
  EXPECT_EQ(row.back(), tok.sep_id());
  EXPECT_EQ(tok.tokenize(cats, 2, true), (std::vector<int32_t>{tok.cls_id(), tok.sep_id()}));
  const std::vector<int32_t> empty = tok.tokenize("", 4, false);
  EXPECT_EQ(empty, (std::vector<int32_t>{tok.cls_id(), tok.sep_id(), 0, 0}));
  expect_error([&] { tok.tokenize(cats, 52, false); }, ErrorCode::invalid_argument,
               {"too long for context length 52", "62 tokens", "猫猫猫"});
  expect_error([&] { tok.tokenize("a", 1, true); }, ErrorCode::invalid_argument, {"context_length", "got 1"});
}

TEST(WordPiece, MaxCharsPerWordIsAnOption) {
  WordPieceOptions hf;
  hf.max_chars_per_word = 100;  // transformers' BertTokenizer
  const WordPieceTokenizer tok = WordPieceTokenizer::load(data_dir() / "vocab.txt", hf);
  const std::string a150(150, 'a'), a100(100, 'a');
  EXPECT_EQ(tok.pieces(a150), std::vector<std::string>{"[UNK]"});
  EXPECT_NE(tok.pieces(a100), std::vector<std::string>{"[UNK]"});
  EXPECT_NE(tokenizer("vocab.txt").pieces(a150), std::vector<std::string>{"[UNK]"});  // cn_clip: 200
}

TEST(WordPiece, DecodeJoinsContinuations) {
  const WordPieceTokenizer& q = tokenizer("quirky_vocab.txt");
  EXPECT_EQ(q.decode(q.tokenize("the cats 一只猫", 16, true)), "the cats 一 只 猫");
  const WordPieceTokenizer& tok = tokenizer("vocab.txt");
  EXPECT_EQ(tok.decode(tok.encode("北京大学Peking University")), "北 京 大 学 peking university");
  const std::vector<int32_t> out_of_range{-5, 1 << 30};
  EXPECT_EQ(tok.decode(out_of_range), "");
}

TEST(WordPiece, InvalidUtf8TextIsRefused) {
  const WordPieceTokenizer& tok = tokenizer("vocab.txt");
  for (const std::string& bad : {std::string("caf\xe9"), std::string("\xed\xa0\x80"), std::string("ok \xc3")}) {
    expect_error([&] { tok.tokenize(bad, 52, true); }, ErrorCode::invalid_argument, {"not valid UTF-8"}, bad);
    expect_error([&] { tok.encode(bad); }, ErrorCode::invalid_argument, {"not valid UTF-8"}, bad);
  }
  expect_error([&] { tok.tokenize("caf\xe9", 52, true); }, ErrorCode::invalid_argument, {"offset 3"});
}

TEST(WordPiece, BadVocabulariesAreNamed) {
  clipkit::testing::TempDir dir;
  const auto write = [&](const std::string& name, const std::string& bytes) {
    const fs::path p = dir.path() / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  };
  const fs::path missing = dir.path() / "nope" / "vocab.txt";
  expect_error([&] { WordPieceTokenizer::load(missing); }, ErrorCode::not_found, {missing.string()});
  expect_error([&] { WordPieceTokenizer::load(dir.path()); }, ErrorCode::invalid_argument, {dir.path().string()});
  const fs::path latin1 = write("latin1.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\ncaf\xe9\n");
  expect_error([&] { WordPieceTokenizer::load(latin1); }, ErrorCode::corrupt_data,
               {latin1.string(), "line 5", "not valid UTF-8"});
  const fs::path no_cls = write("no_cls.txt", "[PAD]\n[UNK]\n[SEP]\na\n");
  expect_error([&] { WordPieceTokenizer::load(no_cls); }, ErrorCode::corrupt_data, {no_cls.string(), "no [CLS]"});
  const fs::path no_unk = write("no_unk.txt", "[PAD]\n[CLS]\n[SEP]\n");
  expect_error([&] { WordPieceTokenizer::load(no_unk); }, ErrorCode::corrupt_data, {no_unk.string(), "no [UNK]"});
  const fs::path empty = write("empty.txt", "");
  expect_error([&] { WordPieceTokenizer::load(empty); }, ErrorCode::corrupt_data, {empty.string(), "0 lines"});
  // A binary file (a SentencePiece model passed by mistake) is not UTF-8 either.
  const fs::path binary = write("spiece.model", std::string("\x0a\x0b\x0a\x05<unk>\x15\x00\x00\x00\x00\xff\xfe", 16));
  expect_error([&] { WordPieceTokenizer::load(binary); }, ErrorCode::corrupt_data, {binary.string(), "UTF-8"});
}

TEST(WordPiece, ConcurrentCallsAgree) {
  const WordPieceTokenizer& tok = tokenizer("vocab.txt");
  std::vector<std::vector<int32_t>> expected;
  for (const Golden& g : goldens()) {
    if (g.vocab == "vocab.txt") expected.push_back(g.tokens_52);
  }
  std::vector<size_t> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < expected.size(); i += 2) {
        if (tok.tokenize(goldens()[i].text, 52, true) != expected[i]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t m : mismatches) EXPECT_EQ(m, 0u);
}

// The public clipkit::Tokenizer over the same vocabularies gives the same rows.
TEST(WordPiece, PublicTokenizerMatchesEveryGolden) {
  std::map<std::string, clipkit::Tokenizer> tokenizers;
  for (const char* name : {"vocab.txt", "quirky_vocab.txt"})
    tokenizers.emplace(name, clipkit::Tokenizer::from_wordpiece(data_dir() / name));
  const clipkit::Tokenizer& tok = tokenizers.at("vocab.txt");
  EXPECT_EQ(tok.sot_id(), 101);
  EXPECT_EQ(tok.eot_id(), 102);
  EXPECT_EQ(tok.vocab_size(), 2564);
  size_t matched = 0;
  for (const Golden& g : goldens()) {
    const clipkit::Tokenizer& t = tokenizers.at(g.vocab);
    const std::string d = first_difference(g.ids, t.encode(g.text)) + first_difference(g.tokens_52, t.tokenize(g.text, 52));
    if (d.empty()) {
      ++matched;
    } else {
      ADD_FAILURE() << nlohmann::json(g.text).dump() << ": " << d;
    }
  }
  EXPECT_EQ(matched, goldens().size());
  EXPECT_EQ(tok.decode(tok.tokenize("北京大学Peking University", 52)), "北 京 大 学 peking university");
  expect_error([&] { tok.tokenize(std::string(60 * 3, 'x') + " " + std::string(400, '.'), 52, false); },
               ErrorCode::invalid_argument, {"too long for context length 52"});
  expect_error([&] { tok.encode("caf\xe9"); }, ErrorCode::invalid_argument, {"not valid UTF-8"});
  const fs::path missing = data_dir() / "no_such_vocab.txt";
  expect_error([&] { clipkit::Tokenizer::from_wordpiece(missing); }, ErrorCode::not_found, {missing.string()});
}

}  // namespace
