// tests/text/html_test.cpp — Python's html.unescape and ftfy's unescape_html.
#include "text/html.hpp"

#include <gtest/gtest.h>

#include "text/unicode.hpp"

namespace {

using namespace clipkit::text;

std::string py_unescape(std::u32string_view s) { return encode_utf8(html_unescape(s)); }
std::string ftfy_unescape(std::u32string_view s) { return encode_utf8(ftfy_unescape_html(s)); }

TEST(Html, NamedReferences) {
  EXPECT_EQ(py_unescape(U"rock &amp; roll"), "rock & roll");
  EXPECT_EQ(py_unescape(U"&lt;b&gt;"), "<b>");
  EXPECT_EQ(py_unescape(U"&amp without semicolon"), "& without semicolon");
  // The longest known prefix is decoded: "&notit;" -> "¬it;".
  EXPECT_EQ(py_unescape(U"&notit;"), "\u00ACit;");
  EXPECT_EQ(py_unescape(U"&unknown; & &;"), "&unknown; & &;");
}

TEST(Html, NumericReferences) {
  EXPECT_EQ(py_unescape(U"&#65;&#x42;&#X43"), "ABC");
  EXPECT_EQ(py_unescape(U"&#0;"), "\uFFFD");
  EXPECT_EQ(py_unescape(U"&#x80;&#150;"), "\u20AC\u2013");  // Windows-1252 meaning
  EXPECT_EQ(py_unescape(U"&#xD800;&#99999999999;"), "\uFFFD\uFFFD");
  EXPECT_EQ(py_unescape(U"a&#1;b&#xFFFF;c"), "abc");
  EXPECT_EQ(py_unescape(U"&#x;&#"), "&#x;&#");
}

TEST(Html, FtfyIsStricter) {
  EXPECT_EQ(ftfy_unescape(U"&amp; &amp &ldquo;"), "& &amp \u201C");
  EXPECT_EQ(ftfy_unescape(U"&NTILDE; &EACUTE;"), "\u00D1 \u00C9");
  EXPECT_EQ(ftfy_unescape(U"&#x2019;&#abc;"), "\u2019&#abc;");
}

}  // namespace
