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

}  // namespace
