// tests/text/pretokenize_test.cpp — the CLIP split expression.
#include "text/pretokenize.hpp"

#include <gtest/gtest.h>

namespace {

using clipkit::text::pretokenize;
using Words = std::vector<std::string>;

TEST(Pretokenize, ContractionsLettersNumbersPunctuation) {
  EXPECT_EQ(pretokenize(U"it's 42!? ok"), (Words{"it", "'s", "4", "2", "!?", "ok"}));
  EXPECT_EQ(pretokenize(U"we'll they're i'd"), (Words{"we", "'ll", "they", "'re", "i", "'d"}));
  EXPECT_EQ(pretokenize(U"'''x"), (Words{"'''", "x"}));
}

TEST(Pretokenize, SpecialTokens) {
  EXPECT_EQ(pretokenize(U"a<|endoftext|>b"), (Words{"a", "<|endoftext|>", "b"}));
  // Inside a punctuation run the special token is not seen (as with the regex).
  EXPECT_EQ(pretokenize(U"!<|endoftext|>"), (Words{"!<|", "endoftext", "|>"}));
}

TEST(Pretokenize, UnicodeClasses) {
  // Marks are neither letters nor numbers; CJK are letters; ½ is a number.
  EXPECT_EQ(pretokenize(U"e\u0301\u65E5\u672C\u00BD"), (Words{"e", "\u0301", "\u65E5\u672C", "\u00BD"}));
  // Under IGNORECASE, long s matches the "'s" contraction.
  EXPECT_EQ(pretokenize(U"x'\u017F"), (Words{"x", "'\u017F"}));
  EXPECT_EQ(pretokenize(U" \u00A0\u2003 "), Words{});
}

}  // namespace
