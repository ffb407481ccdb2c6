// tests/text/clean_test.cpp — the ftfy fixers and simple_tokenizer's clean-up.
#include "text/clean.hpp"

#include <gtest/gtest.h>

#include "text/unicode.hpp"

namespace {

using namespace clipkit::text;

std::string utf8(std::u32string_view s) { return encode_utf8(s); }

TEST(Clean, LatinLigatures) {
  EXPECT_EQ(utf8(fix_latin_ligatures(U"\uFB01ne \uFB02owers \uFB03 \u0132")), "fine flowers ffi IJ");
  EXPECT_EQ(utf8(fix_latin_ligatures(U"\u01C5ungla")), "D\u017Eungla");
  EXPECT_EQ(utf8(fix_latin_ligatures(U"\u00E6 stays")), "\u00E6 stays");  // not a typographic ligature
}

TEST(Clean, CharacterWidth) {
  EXPECT_EQ(utf8(fix_character_width(U"\uFF26\uFF55\uFF4C\uFF4C \uFF11\uFF12\u3000x")), "Full 12 x");
  // Half-width katakana become the full-width ones.
  EXPECT_EQ(utf8(fix_character_width(U"\uFF76")), "\u30AB");
}

TEST(Clean, UncurlQuotes) {
  EXPECT_EQ(utf8(uncurl_quotes(U"\u201Chere\u2019s a test\u201D \u02BC")), "\"here's a test\" '");
}

TEST(Clean, LineBreaksAndControls) {
  EXPECT_EQ(utf8(fix_line_breaks(U"a\r\nb\rc\u2028d\u2029e\u0085f")), "a\nb\nc\nd\ne\nf");
  EXPECT_EQ(utf8(remove_control_chars(U"a\u0007b\u200Bc\uFEFFd\te\n")), "ab\u200Bcd\te\n");
  EXPECT_EQ(utf8(remove_terminal_escapes(U"\u001B[36;44mblue\u001B[0m")), "blue");
}

TEST(Clean, FixTextLikeFtfy) {
  // Examples from ftfy's documentation (6.x, NFC by default).
  EXPECT_EQ(utf8(fix_text(U"Broken text&hellip; it&#x2019;s \uFB02ubberi\uFB01c!")),
            "Broken text\u2026 it's flubberific!");
  EXPECT_EQ(utf8(fix_text(U"HTML entities &lt;3")), "HTML entities <3");
  EXPECT_EQ(utf8(fix_text(U"<em>HTML entities &lt;3</em>")), "<em>HTML entities &lt;3</em>");
  EXPECT_EQ(utf8(fix_text(U"\u0001\u001B[36;44mI&#x92;m blue, da ba dee da ba doo&#133;\u001B[0m")),
            "I'm blue, da ba dee da ba doo\u2026");
  EXPECT_EQ(utf8(fix_text(U"\uFEFFParty like\nit&rsquo;s 1999!")), "Party like\nit's 1999!");
  EXPECT_EQ(utf8(fix_text(U"u\u00CC\u02C6nicode")), "\u00FCnicode");
  // Upper-cased entity names are decoded too.
  EXPECT_EQ(utf8(fix_text(U"&NTILDE;")), "\u00D1");
  // Decomposed accents are composed (NFC).
  EXPECT_EQ(utf8(fix_text(U"cafe\u0301")), "caf\u00E9");
}

TEST(Clean, BasicAndWhitespaceClean) {
  // &amp;amp; is unescaped by ftfy's repeated passes and html.unescape.
  EXPECT_EQ(utf8(basic_clean(U"  &amp;amp; double  ")), "& double");
  // With a '<' in the text ftfy leaves entities alone, html.unescape does not.
  EXPECT_EQ(utf8(basic_clean(U"&lt;b&gt; &ldquo;x&rdquo; <")), "<b> \u201Cx\u201D <");
  EXPECT_EQ(utf8(whitespace_clean(U" a \t\n b\u00A0\u3000c  ")), "a b c");
}

TEST(Clean, CleanTextLowerCases) {
  EXPECT_EQ(utf8(clean_text("  A PHOTO\tOF  A \uFF24\uFF2F\uFF27 ")), "a photo of a dog");
  EXPECT_EQ(utf8(clean_text("\u00C3\u00A9t\u00C3\u00A9")), "\u00E9t\u00E9");
}

}  // namespace
