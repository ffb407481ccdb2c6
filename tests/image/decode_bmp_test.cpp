// tests/image/decode_bmp_test.cpp — the BMP reader on bitmaps built here byte by byte,
// with modes as Pillow 9.4's BmpImagePlugin gives them.
#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "pillow_fixtures.hpp"

namespace clipkit {
namespace {

void put16(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  b[at] = uint8_t(v), b[at + 1] = uint8_t(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  put16(b, at, v & 0xFFFF), put16(b, at + 2, v >> 16);
}

struct BmpSpec {
  int width = 2;
  int height = 2;  // negative: top-down
  int bits = 24;
  uint32_t compression = 0;
  uint32_t header_size = 40;
  std::vector<std::array<uint8_t, 4>> palette;  // B, G, R, 0
  std::array<uint32_t, 4> masks = {0, 0, 0, 0};  // header_size >= 56 only
  std::vector<std::vector<uint8_t>> rows;         // file order, unpadded
};

std::vector<uint8_t> make_bmp(const BmpSpec& s) {
  const size_t stride = ((size_t(s.width) * s.bits + 31) / 32) * 4;
  const size_t pixel_offset = 14 + s.header_size + s.palette.size() * 4;
  std::vector<uint8_t> b(pixel_offset + stride * s.rows.size(), 0);
  b[0] = 'B', b[1] = 'M';
  put32(b, 2, uint32_t(b.size()));
  put32(b, 10, uint32_t(pixel_offset));
  put32(b, 14, s.header_size);
  put32(b, 18, uint32_t(s.width));
  put32(b, 22, uint32_t(s.height));
  put16(b, 26, 1);
  put16(b, 28, uint32_t(s.bits));
  put32(b, 30, s.compression);
  put32(b, 46, uint32_t(s.palette.size()));
  if (s.header_size >= 56) {
    for (int i = 0; i < 4; ++i) put32(b, 54 + 4 * i, s.masks[i]);
  }
  for (size_t i = 0; i < s.palette.size(); ++i) {
    std::copy(s.palette[i].begin(), s.palette[i].end(), b.begin() + 14 + s.header_size + 4 * i);
  }
  for (size_t y = 0; y < s.rows.size(); ++y) {
    std::copy(s.rows[y].begin(), s.rows[y].end(), b.begin() + pixel_offset + y * stride);
  }
  return b;
}

Image decode(const std::vector<uint8_t>& bytes) { return decode_image_memory(bytes, "t.bmp"); }

TEST(DecodeBmp, TwentyFourBitBottomUp) {
  BmpSpec s;
  s.rows = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};  // BGR; last image row first
  const Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::rgb);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{9, 8, 7, 12, 11, 10, 3, 2, 1, 6, 5, 4}));
}

TEST(DecodeBmp, ThirtyTwoBitTopDownIgnoresFourthByte) {
  BmpSpec s;
  s.bits = 32, s.height = -2, s.width = 1;
  s.rows = {{1, 2, 3, 99}, {4, 5, 6, 0}};
  const Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::rgb);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{3, 2, 1, 6, 5, 4}));
}

TEST(DecodeBmp, BitfieldsWithAlphaAreRgba) {
  BmpSpec s;
  s.bits = 32, s.height = -1, s.width = 2, s.compression = 3, s.header_size = 108;
  s.masks = {0xFF0000, 0xFF00, 0xFF, 0xFF000000};  // Pillow's "BGRA"
  s.rows = {{1, 2, 3, 4, 5, 6, 7, 8}};
  const Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::rgba);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{3, 2, 1, 4, 7, 6, 5, 8}));
}

TEST(DecodeBmp, EightBitPaletteAndGrayRamp) {
  BmpSpec s;
  s.bits = 8, s.width = 3, s.height = -1;
  s.palette = {{10, 20, 30, 0}, {40, 50, 60, 0}};
  s.rows = {{1, 0, 1}};
  Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::palette);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{1, 0, 1}));
  EXPECT_EQ(img.palette[0], (std::array<uint8_t, 4>{30, 20, 10, 255}));

  s.palette.clear();
  for (int i = 0; i < 256; ++i) s.palette.push_back({uint8_t(i), uint8_t(i), uint8_t(i), 0});
  s.rows = {{200, 0, 7}};
  img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::gray);  // Pillow drops a gray-ramp palette
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{200, 0, 7}));
}

TEST(DecodeBmp, FourAndOneBit) {
  BmpSpec s;
  s.bits = 4, s.width = 3, s.height = -1;
  s.palette = {{0, 0, 1, 0}, {0, 0, 2, 0}, {0, 0, 3, 0}};
  s.rows = {{0x21, 0x00}};
  Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::palette);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{2, 1, 0}));

  s.bits = 1, s.width = 10, s.height = 1;
  s.palette = {{0, 0, 0, 0}, {255, 255, 255, 0}};
  s.rows = {{0b10110000, 0b01000000}};
  img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::bilevel);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{255, 0, 255, 255, 0, 0, 0, 0, 0, 255}));
}

ErrorCode code_of(const std::vector<uint8_t>& bytes, DecodeOptions options = {}) {
  try {
    decode_image_memory(bytes, "bad.bmp", options);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.bmp"), std::string::npos) << e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::internal;
}

TEST(DecodeBmp, BadInputs) {
  BmpSpec s;
  s.rows = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
  auto bytes = make_bmp(s);
  auto truncated = bytes;
  truncated.resize(truncated.size() - 3);
  EXPECT_EQ(code_of(truncated), ErrorCode::corrupt_data);
  auto header_only = bytes;
  header_only.resize(30);
  EXPECT_EQ(code_of(header_only), ErrorCode::corrupt_data);
  auto rle = bytes;
  put32(rle, 30, 1);
  EXPECT_EQ(code_of(rle), ErrorCode::unsupported);
  auto zero_width = bytes;
  put32(zero_width, 18, 0);
  EXPECT_EQ(code_of(zero_width), ErrorCode::corrupt_data);
  auto huge = bytes;  // 2^30 x 2^30 claimed: refused before any allocation
  put32(huge, 18, 1u << 30);
  put32(huge, 22, 1u << 30);
  EXPECT_EQ(code_of(huge), ErrorCode::resource_exhausted);
  DecodeOptions tiny;
  tiny.max_pixels = 3;
  EXPECT_EQ(code_of(bytes, tiny), ErrorCode::resource_exhausted);
  auto odd_offset = bytes;  // pixel offset past the end of the file
  put32(odd_offset, 10, 0xFFFFFFF0u);
  EXPECT_EQ(code_of(odd_offset), ErrorCode::corrupt_data);
}

// RLE8/RLE4 (runs, absolute runs, end of line, delta, end of bitmap, top-down, gray
// ramp, data at an odd offset) and 16-bit 5-5-5 / 5-6-5 files, as Pillow 9.4 reads them.
TEST(DecodeBmp, RleAndSixteenBitMatchPillow) {
  EXPECT_EQ(testing::expect_pillow_fixtures("bmp_"), 15);
}

TEST(DecodeBmp, SixteenBitChannelsScaleAsPillow) {
  BmpSpec s;
  s.bits = 16, s.width = 2, s.height = -1;
  s.rows = {{0xFF, 0x7F, 0x21, 0x84}};  // 0x7FFF, 0x8421 (bit 15 ignored)
  Image img = decode(make_bmp(s));
  EXPECT_EQ(img.mode, PixelMode::rgb);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{255, 255, 255, 8, 8, 8}));  // 1 * 255 / 31 = 8

  s.compression = 3, s.header_size = 56, s.masks = {0xF800, 0x7E0, 0x1F, 0};
  s.rows = {{0x41, 0x08, 0xE0, 0x07}};  // 5-6-5: (1, 2, 1), (0, 63, 0)
  img = decode(make_bmp(s));
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{8, 8, 8, 0, 255, 0}));  // 2 * 255 / 63 = 8
}

}  // namespace
}  // namespace clipkit
