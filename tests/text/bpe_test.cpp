// text::BpeModel: the O(n log n) merge loop (encode_word) against simple_tokenizer's
// literal one (encode_word_reference) on random words (fixed seed) over alphabets that
// make overlapping and repeated pairs likely, and a long word (issue 15: the literal
// loop took 34 s for a 64 KB word, hours for the 1 MB a server request may carry).
#include "text/bpe.hpp"

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"
#include "text/vocab_file.hpp"

namespace clipkit::text {
namespace {

const BpeModel& openai_model() {
  static const BpeModel model = load_vocab(clipkit::testing::bpe_vocab());
  return model;
}


std::string random_word(std::mt19937& rng, const std::vector<std::string>& alphabet, size_t length) {
  std::string word;
  for (size_t i = 0; i < length; ++i) word += alphabet[rng() % alphabet.size()];
  return word;
}

TEST(Bpe, RandomWordsAgreeWithTheReference) {
  const BpeModel& model = openai_model();
  std::vector<std::vector<std::string>> alphabets = {
      {"a", "b"},                                   // runs and overlapping pairs: "aaa", "abab"
      {"e", "r", "t", "h", "n", "s"},              // frequent English merges
      {"0", "1", "9", ".", "-"},
      {"\xe7\x8c\xab", "\xe7\x8a\xac", "\xe3\x81\xae", "\xf0\x9f\x98\x80"},  // 猫 犬 の 😀
  };
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  alphabets.push_back(bytes);
  std::mt19937 rng(15);
  for (int i = 0; i < 3000; ++i) {
    const auto& alphabet = alphabets[static_cast<size_t>(i) % alphabets.size()];
    const std::string word = random_word(rng, alphabet, 1 + rng() % 40);
    const std::string d = clipkit::testing::first_difference(model.encode_word_reference(word), model.encode_word(word));
    ASSERT_EQ(d, "") << "word #" << i << " of " << word.size() << " bytes: '" << word << "'";
  }
}

TEST(Bpe, LongWordsAgreeWithTheReference) {
  const BpeModel& model = openai_model();
  std::mt19937 rng(16);
  std::vector<std::string> letters;
  for (char c = 'a'; c <= 'z'; ++c) letters.push_back(std::string(1, c));
  for (const std::vector<std::string>& alphabet :
       {std::vector<std::string>{"a"}, {"a", "b"}, {"t", "h", "e", " "}, {"x", "y", "z", "q"}, letters}) {
    const std::string word = random_word(rng, alphabet, 3000);
    const std::string d = clipkit::testing::first_difference(model.encode_word_reference(word), model.encode_word(word));
    EXPECT_EQ(d, "") << "word starting '" << word.substr(0, 20) << "'";
  }
}

TEST(Bpe, WordOf200000LettersEncodesAndDecodesBack) {
  std::mt19937 rng(17);
  std::string word;
  for (int i = 0; i < 200000; ++i) word += static_cast<char>('a' + rng() % 26);
  const std::vector<int32_t> ids = openai_model().encode_word(word);
  ASSERT_GT(ids.size(), 50000u);
  EXPECT_EQ(openai_model().decode(ids.data(), ids.size()), word + " ");
}

TEST(Bpe, SpecialTokensAndEmptyWord) {
  const BpeModel& model = openai_model();
  EXPECT_EQ(model.encode_word("<|startoftext|>"), std::vector<int32_t>{model.sot_id()});
  EXPECT_EQ(model.encode_word("<|endoftext|>"), std::vector<int32_t>{model.eot_id()});
  EXPECT_TRUE(model.encode_word("").empty());
  EXPECT_EQ(model.encode_word("a"), model.encode_word_reference("a"));
}

}  // namespace
}  // namespace clipkit::text
