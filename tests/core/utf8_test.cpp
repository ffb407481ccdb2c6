// clipkit/utf8.hpp: RFC 3629 validity, U+FFFD display, RFC 4648 base64.
#include "clipkit/utf8.hpp"

#include <gtest/gtest.h>

namespace clipkit {
namespace {

TEST(Utf8, FirstInvalidByte) {
  EXPECT_EQ(invalid_utf8_offset("plain"), std::nullopt);
  EXPECT_EQ(invalid_utf8_offset("caf\xc3\xa9 \xe7\x8c\xab \xf0\x9f\x90\x88"), std::nullopt);
  EXPECT_EQ(invalid_utf8_offset("caf\xe9"), 3u);               // Latin-1
  EXPECT_EQ(invalid_utf8_offset("a\xc0\x80"), 1u);             // overlong NUL
  EXPECT_EQ(invalid_utf8_offset("ab\xe0\x80\xaf"), 2u);        // overlong 3-byte
  EXPECT_EQ(invalid_utf8_offset("\xed\xa0\x80"), 0u);          // a surrogate
  EXPECT_EQ(invalid_utf8_offset("x\xf4\x90\x80\x80"), 1u);     // over U+10FFFF
  EXPECT_EQ(invalid_utf8_offset("ok\xe7\x8c"), 2u);            // cut short
  EXPECT_EQ(invalid_utf8_offset("\x80"), 0u);                  // a lone continuation
}

TEST(Utf8, DisplayReplacesEachBadByte) {
  EXPECT_EQ(utf8_for_display("caf\xe9.png"), "caf\xef\xbf\xbd.png");
  EXPECT_EQ(utf8_for_display("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(utf8_for_display("\xe7\x8c\xab"), "\xe7\x8c\xab");
}

TEST(Utf8, Base64Rfc4648Vectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

}  // namespace
}  // namespace clipkit
