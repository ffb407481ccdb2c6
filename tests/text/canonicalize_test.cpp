// tests/text/canonicalize_test.cpp — open_clip's and transformers' canonicalize_text
// (expected values from Python 3.11: the upstream functions on these strings).
#include "text/canonicalize.hpp"

#include <gtest/gtest.h>

#include "text/unicode.hpp"

namespace {

using namespace clipkit::text;

std::string utf8(const std::u32string& s) { return encode_utf8(s); }

TEST(Canonicalize, OpenClip) {
  EXPECT_EQ(utf8(canonicalize_text(U"A_Photo, of a CAT!")), "a photo of a cat");
  EXPECT_EQ(utf8(canonicalize_text(U"__init__.py")), "init py");
  EXPECT_EQ(utf8(canonicalize_text(U"!!!")), "");
  EXPECT_EQ(utf8(canonicalize_text(U"  tab\tand\nnew\u3000line\u00a0 ")), "tab and new line");
  // str.lower() of the whole string: a final sigma.
  EXPECT_EQ(utf8(canonicalize_text(U"ΟΔΟΣ Σ")), "οδος σ");
  // Only ASCII punctuation goes.
  EXPECT_EQ(utf8(canonicalize_text(U"¡hola! «x» 。")), "¡hola «x» 。");
  EXPECT_EQ(utf8(canonicalize_text(U"İ")), "i\u0307");
}

TEST(Canonicalize, TransformersKeepsCaseAndDropsUnderscore) {
  EXPECT_EQ(utf8(canonicalize_text_hf(U"A_Photo, of a CAT!")), "APhoto of a CAT");
  EXPECT_EQ(utf8(canonicalize_text_hf(U"a \x1c b")), "a b");  // re's \s is str.isspace
  EXPECT_EQ(utf8(canonicalize_text_hf(U"\u2581 x")), "\u2581 x");
}

TEST(Canonicalize, LowerEachChar) {
  EXPECT_EQ(utf8(lower_each_char(U"ΟΔΟΣ")), "οδοσ");  // no final-sigma context
  EXPECT_EQ(utf8(lower_each_char(U"İx\nY")), "i\u0307x\ny");
}

TEST(Canonicalize, CollapseWhitespace) {
  EXPECT_EQ(utf8(collapse_whitespace(U"")), "");
  EXPECT_EQ(utf8(collapse_whitespace(U" \t ")), "");
  EXPECT_EQ(utf8(collapse_whitespace(U" a  b\x1f c ")), "a b c");
  EXPECT_EQ(utf8(remove_punctuation(U"a!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~b")), "ab");
}

}  // namespace
