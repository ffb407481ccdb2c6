// tests/text/unicode_test.cpp — UTF-8, categories and Python's str.lower().
#include "text/unicode.hpp"

#include <gtest/gtest.h>

namespace {

using namespace clipkit::text;

TEST(Unicode, Utf8RoundTripAndInvalidBytes) {
  const std::string s = "a\u00E9\u65E5\U0001F600";
  EXPECT_EQ(decode_utf8(s), U"a\u00E9\u65E5\U0001F600");
  EXPECT_EQ(encode_utf8(decode_utf8(s)), s);
  EXPECT_EQ(decode_utf8("a\xff" "b\xc3"), U"a\uFFFDb\uFFFD");
  EXPECT_EQ(decode_utf8("\xed\xa0\x80"), U"\uFFFD\uFFFD\uFFFD");  // surrogate
}

TEST(Unicode, PythonLower) {
  EXPECT_EQ(encode_utf8(python_lower(U"\u0130stanbul")), "i\u0307stanbul");
  EXPECT_EQ(encode_utf8(python_lower(U"\u039F\u0394\u039F\u03A3")), "\u03BF\u03B4\u03BF\u03C2");  // final sigma
  EXPECT_EQ(encode_utf8(python_lower(U"\u03A3\u039F")), "\u03C3\u03BF");
  EXPECT_EQ(encode_utf8(python_lower(U"STRASSE \u00C5\u00D6 \u01C5")), "strasse \u00E5\u00F6 \u01C6");
}

TEST(Unicode, Classes) {
  EXPECT_TRUE(is_letter(U'a'));
  EXPECT_TRUE(is_letter(0x65E5));
  EXPECT_FALSE(is_letter(0x0301));
  EXPECT_TRUE(is_number(0x00BD));
  EXPECT_TRUE(is_regex_space(0x00A0));
  EXPECT_FALSE(is_regex_space(0x200B));
  EXPECT_FALSE(is_regex_space(0x1C));
  EXPECT_TRUE(is_python_space(0x1C));
}

TEST(Unicode, Normalization) {
  EXPECT_EQ(nfc(U"e\u0301"), U"\u00E9");
  EXPECT_EQ(nfkc(U"\uFF21\uFB01"), U"Afi");
  EXPECT_EQ(python_strip(U"\u3000 a b\n"), U"a b");
}

TEST(Unicode, BertCategoriesAndNfd) {
  EXPECT_TRUE(is_control_or_format(0x0007));   // Cc
  EXPECT_TRUE(is_control_or_format(0x200D));   // ZWJ, Cf
  EXPECT_TRUE(is_control_or_format(0xFEFF));   // BOM, Cf
  EXPECT_FALSE(is_control_or_format(U'a'));
  EXPECT_TRUE(is_space_separator(0x3000));
  EXPECT_TRUE(is_space_separator(0x00A0));
  EXPECT_FALSE(is_space_separator(U'\n'));     // Cc
  EXPECT_FALSE(is_space_separator(0x2028));    // Zl
  EXPECT_TRUE(is_punctuation(0x3002));         // 。 Po
  EXPECT_TRUE(is_punctuation(0x300C));         // 「 Ps
  EXPECT_TRUE(is_punctuation(U'_'));           // Pc
  EXPECT_FALSE(is_punctuation(U'$'));          // Sc: BERT adds ASCII symbols itself
  EXPECT_FALSE(is_punctuation(0x20AC));        // € Sc
  EXPECT_TRUE(is_nonspacing_mark(0x0301));
  EXPECT_FALSE(is_nonspacing_mark(0x0903));    // Mc
  EXPECT_EQ(nfd(U"\u00E9\u00C5"), U"e\u0301A\u030A");
  EXPECT_EQ(nfd(U"\uF900"), U"\u8C48");        // compatibility ideograph: canonical
  EXPECT_EQ(nfd(U"\uFB01"), U"\uFB01");        // ﬁ: compatibility only, kept
  EXPECT_EQ(nfd(U"\uD55C").size(), 3u);       // 한 -> three jamo
  EXPECT_EQ(nfd(U""), U"");
}

}  // namespace
