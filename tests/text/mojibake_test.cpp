// tests/text/mojibake_test.cpp — ftfy's mojibake heuristic and repair.
#include "text/mojibake.hpp"

#include <gtest/gtest.h>

#include "text/unicode.hpp"

namespace {

using namespace clipkit::text;

std::string fixed(std::string_view utf8) { return encode_utf8(fix_encoding(decode_utf8(utf8))); }

TEST(Mojibake, DetectsTypicalSequences) {
  EXPECT_TRUE(is_bad(U"\u00C3\u00A9t\u00C3\u00A9"));  // "Ã©tÃ©"
  EXPECT_TRUE(is_bad(U"This \u00E2\u20AC\u201D dash"));
  EXPECT_TRUE(is_bad(U"\u0080"));
  EXPECT_FALSE(is_bad(U"caf\u00E9 na\u00EFve r\u00E9sum\u00E9"));
  EXPECT_FALSE(is_bad(U"\u65E5\u672C\u8A9E \u0440\u0443\u0441\u0441\u043A\u0438\u0439"));
  EXPECT_FALSE(is_bad(U"plain ascii"));
}

TEST(Mojibake, FixesUtf8ReadAsLatin1OrWindows1252) {
  EXPECT_EQ(fixed("\u00C3\u00A9t\u00C3\u00A9 mojibake"), "\u00E9t\u00E9 mojibake");
  EXPECT_EQ(fixed("\u00C3\u00BAnico"), "\u00FAnico");
  EXPECT_EQ(fixed("This \u00E2\u20AC\u201D should be an em dash"), "This \u2014 should be an em dash");
  // Twice mis-decoded: fixed in two steps.
  EXPECT_EQ(fixed("doesn\u00C3\u00A2\u00E2\u201A\u00AC\u00E2\u201E\u00A2t"), "doesn\u2019t");
}

TEST(Mojibake, LeavesGoodTextAlone) {
  EXPECT_EQ(fixed("This text is fine already :\u00FE"), "This text is fine already :\u00FE");
  EXPECT_EQ(fixed("\u00C5NGSTR\u00D6M UPPER"), "\u00C5NGSTR\u00D6M UPPER");
  EXPECT_EQ(fixed("na\u00EFve \U0001F600"), "na\u00EFve \U0001F600");
}

TEST(Mojibake, FixesEmbeddedMojibakeNextToOtherScripts) {
  // Not encodable in any single-byte code page as a whole (CJK), so only the
  // UTF-8-looking run is repaired.
  EXPECT_EQ(fixed("\u65E5\u672C caf\u00C3\u00A9"), "\u65E5\u672C caf\u00E9");
}

// From a public test corpus (issue 15): ftfy 6.3 leaves this as it is. Encoded as Mac
// Roman, "– " is D0 20, which restore_byte_a0 would take for UTF-8 with a lost A0
// byte; ftfy skips that repair for Mac Roman, and "Ã¥" alone is not bad enough.
TEST(Mojibake, MacRomanEnDashIsNotALostA0Byte) {
  EXPECT_EQ(fixed("Bremer/Mccoy \u2013 Dr\u00C3\u00A5ber"), "Bremer/Mccoy \u2013 Dr\u00C3\u00A5ber");
  // The repair still applies where ftfy applies it: "Ã" + space (C3 A0 with A0 lost) is "à".
  EXPECT_EQ(fixed("voil\u00C3 le travail"), "voil\u00E0 le travail");
}

TEST(Mojibake, C1Controls) {
  EXPECT_EQ(encode_utf8(fix_c1_controls(U"\u0080\u0093x\u0081")), "\u20AC\u201Cx\u0081");
}

}  // namespace
