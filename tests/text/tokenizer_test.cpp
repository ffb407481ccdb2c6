// tests/text/tokenizer_test.cpp — clipkit::Tokenizer against OpenAI's reference
// (tokenizer_cases.jsonl: SimpleTokenizer().encode and clip.tokenize rows).
#include "clipkit/tokenizer.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "support/test_support.hpp"

namespace {

using clipkit::Error;
using clipkit::ErrorCode;
using clipkit::Tokenizer;

struct Case {
  std::string text;
  std::vector<int32_t> ids;
  std::vector<int32_t> tokens_77;
  bool too_long = false;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = [] {
    std::vector<Case> out;
    std::ifstream in(clipkit::testing::fixtures_dir() / "tokenizer_cases.jsonl");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line);
      out.push_back(Case{j.at("text").get<std::string>(), j.at("ids").get<std::vector<int32_t>>(),
                         j.at("tokens_77").get<std::vector<int32_t>>(), j.at("too_long").get<bool>()});
    }
    return out;
  }();
  return all;
}

const Tokenizer& tokenizer() {
  static const Tokenizer tok = Tokenizer::from_file(clipkit::testing::bpe_vocab());
  return tok;
}


// Checks one case; returns "" when everything matches.
std::string check_case(const Case& c) {
  std::string problems;
  if (std::string d = clipkit::testing::first_difference(c.ids, tokenizer().encode(c.text)); !d.empty()) problems += " encode: " + d;
  if (std::string d = clipkit::testing::first_difference(c.tokens_77, tokenizer().tokenize(c.text)); !d.empty()) problems += " tokenize: " + d;
  bool threw = false;
  try {
    tokenizer().tokenize(c.text, 77, /*truncate=*/false);
  } catch (const Error& e) {
    threw = e.code() == ErrorCode::invalid_argument;
  }
  if (threw != c.too_long) problems += threw ? " truncate=false threw" : " truncate=false did not throw";
  return problems;
}

TEST(Tokenizer, FixtureHas643Cases) { EXPECT_EQ(cases().size(), 643u); }

TEST(Tokenizer, EveryReferenceCaseMatches) {
  size_t matched = 0;
  for (size_t i = 0; i < cases().size(); ++i) {
    const std::string problems = check_case(cases()[i]);
    if (problems.empty()) {
      ++matched;
    } else {
      ADD_FAILURE() << "case " << i << " text=" << nlohmann::json(cases()[i].text).dump() << ":" << problems;
    }
  }
  EXPECT_EQ(matched, 643u);
}

TEST(Tokenizer, SpecialIdsAndVocabSize) {
  EXPECT_EQ(tokenizer().sot_id(), 49406);
  EXPECT_EQ(tokenizer().eot_id(), 49407);
  EXPECT_EQ(tokenizer().vocab_size(), 49408);
}

TEST(Tokenizer, KnownIds) {
  EXPECT_EQ(tokenizer().encode("a photo of a dog"), (std::vector<int32_t>{320, 1125, 539, 320, 1929}));
  EXPECT_TRUE(tokenizer().encode("").empty());
  const auto row = tokenizer().tokenize("");
  ASSERT_EQ(row.size(), 77u);
  EXPECT_EQ(row[0], 49406);
  EXPECT_EQ(row[1], 49407);
  EXPECT_EQ(row[2], 0);
}

TEST(Tokenizer, ContextLengthAndTruncation) {
  const auto row = tokenizer().tokenize("a photo of a dog", 4, /*truncate=*/true);
  EXPECT_EQ(row, (std::vector<int32_t>{49406, 320, 1125, 49407}));
  const auto wide = tokenizer().tokenize("a dog", 10);
  EXPECT_EQ(wide, (std::vector<int32_t>{49406, 320, 1929, 49407, 0, 0, 0, 0, 0, 0}));
  EXPECT_THROW(tokenizer().tokenize("a dog", 0), Error);
}

TEST(Tokenizer, TooLongMessageNamesTheText) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += "zebra ";
  try {
    tokenizer().tokenize(text, 77, /*truncate=*/false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    const std::string message = e.what();
    EXPECT_NE(message.find("zebra zebra"), std::string::npos) << message;
    EXPECT_NE(message.find("..."), std::string::npos) << message;  // abbreviated
    EXPECT_LT(message.size(), 200u) << message;
  }
}

TEST(Tokenizer, DecodeRoundTrip) {
  const auto ids = tokenizer().encode("a photo of a cat's toy!");
  EXPECT_EQ(tokenizer().decode(ids), "a photo of a cat 's toy ! ");
  const std::vector<int32_t> bad = {1, 49408};
  EXPECT_THROW(tokenizer().decode(bad), Error);
}

TEST(Tokenizer, ThreadsShareOneTokenizer) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &ok] {
      int good = 0;
      for (size_t i = static_cast<size_t>(t); i < cases().size(); i += 4) {
        good += tokenizer().encode(cases()[i].text) == cases()[i].ids ? 1 : 0;
      }
      ok[static_cast<size_t>(t)] = good;
    });
  }
  for (auto& th : threads) th.join();
  int total = 0;
  for (int g : ok) total += g;
  EXPECT_EQ(total, 643);
}

}  // namespace
