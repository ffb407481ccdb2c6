// tests/image/decode_png_test.cpp — PNG bit depths and colour types, as Pillow 9.4
// reads them. The files are tiny PNGs written byte by byte (IHDR/PLTE/tRNS/eXIf/IDAT
// with zlib) by a Python script; expected pixels are np.array(Image.open(f)) from
// Pillow 9.4, except 16-bit gray where Pillow clips and clipkit keeps v >> 8.
#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"

namespace clipkit {
namespace {

// Gray1: Pillow mode 1 size (3, 2) info {}
const std::vector<uint8_t> kGray1 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 3, 0, 0, 0, 2, 1, 0, 0, 0, 0, 181, 15, 91, 183, 0, 0, 0, 12, 73, 68, 65, 84, 120, 218, 99, 88, 192, 224, 0, 0, 2, 36, 0, 225, 77, 22, 232, 94, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kGray1Pixels = {255, 0, 255, 0, 255, 0};
// Gray2: Pillow mode L size (4, 1) info {}
const std::vector<uint8_t> kGray2 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 4, 0, 0, 0, 1, 2, 0, 0, 0, 0, 150, 231, 72, 176, 0, 0, 0, 10, 73, 68, 65, 84, 120, 218, 99, 144, 6, 0, 0, 29, 0, 28, 35, 124, 143, 172, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kGray2Pixels = {0, 85, 170, 255};
// Palette4: Pillow mode P size (3, 2) info {'transparency': b'\x00\x80'}
const std::vector<uint8_t> kPalette4 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 3, 0, 0, 0, 2, 4, 3, 0, 0, 0, 111, 90, 123, 41, 0, 0, 0, 9, 80, 76, 84, 69, 255, 0, 0, 0, 255, 0, 0, 0, 255, 45, 74, 205, 138, 0, 0, 0, 2, 116, 82, 78, 83, 0, 128, 155, 43, 78, 24, 0, 0, 0, 14, 73, 68, 65, 84, 120, 218, 99, 96, 84, 96, 48, 9, 0, 0, 1, 67, 0, 166, 195, 165, 17, 43, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kPalette4Pixels = {0, 1, 2, 3, 4, 5};
// GrayAlpha8: Pillow mode LA size (2, 1) info {}
const std::vector<uint8_t> kGrayAlpha8 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 1, 8, 4, 0, 0, 0, 94, 43, 183, 1, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 224, 98, 56, 241, 31, 0, 2, 188, 1, 210, 233, 224, 236, 89, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kGrayAlpha8Pixels = {10, 0, 200, 255};
// Rgb16: Pillow mode RGB size (2, 1) info {}
const std::vector<uint8_t> kRgb16 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 1, 16, 2, 0, 0, 0, 43, 208, 52, 158, 0, 0, 0, 21, 73, 68, 65, 84, 120, 218, 99, 16, 50, 249, 255, 159, 225, 127, 3, 67, 253, 127, 70, 70, 0, 37, 3, 5, 68, 151, 108, 186, 104, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kRgb16Pixels = {18, 255, 0, 128, 127, 1};
// Rgba16: Pillow mode RGBA size (1, 1) info {}
const std::vector<uint8_t> kRgba16 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 16, 6, 0, 0, 0, 79, 133, 24, 202, 0, 0, 0, 17, 73, 68, 65, 84, 120, 218, 99, 88, 125, 150, 145, 129, 225, 127, 67, 3, 0, 15, 127, 3, 121, 21, 2, 227, 160, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kRgba16Pixels = {171, 1, 0, 128};
// Gray16: Pillow mode I size (2, 1) info {'transparency': 4660}
const std::vector<uint8_t> kGray16 = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 1, 16, 0, 0, 0, 0, 129, 217, 252, 21, 0, 0, 0, 2, 116, 82, 78, 83, 18, 52, 47, 211, 73, 94, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 16, 50, 249, 255, 31, 0, 3, 230, 2, 69, 241, 28, 132, 101, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
// ExifRgb: Pillow mode RGB size (3, 2) info {}
const std::vector<uint8_t> kExifRgb = {137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0, 18, 22, 241, 77, 0, 0, 0, 26, 101, 88, 73, 102, 77, 77, 0, 42, 0, 0, 0, 8, 0, 1, 1, 18, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 214, 103, 75, 105, 0, 0, 0, 27, 73, 68, 65, 84, 120, 218, 5, 193, 5, 1, 0, 0, 0, 2, 32, 251, 255, 100, 1, 36, 37, 217, 70, 146, 182, 219, 14, 1, 223, 0, 64, 176, 166, 134, 91, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130};
const std::vector<uint8_t> kExifRgbPixels = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6};

Image decode(const std::vector<uint8_t>& bytes, bool exif = false) {
  DecodeOptions options;
  options.apply_exif_orientation = exif;
  return decode_image_memory(bytes, "test.png", options);
}

TEST(DecodePng, OneBitGrayIsBilevel) {
  const Image img = decode(kGray1);
  EXPECT_EQ(img.mode, PixelMode::bilevel);
  EXPECT_EQ(img.width, 3);
  EXPECT_EQ(img.height, 2);
  EXPECT_EQ(img.pixels, kGray1Pixels);
}

TEST(DecodePng, TwoBitGrayIsScaledToL) {
  const Image img = decode(kGray2);
  EXPECT_EQ(img.mode, PixelMode::gray);
  EXPECT_EQ(img.pixels, kGray2Pixels);
}

TEST(DecodePng, PaletteKeepsIndicesAndTransparency) {
  const Image img = decode(kPalette4);
  EXPECT_EQ(img.mode, PixelMode::palette);
  EXPECT_EQ(img.pixels, kPalette4Pixels);
  ASSERT_EQ(img.palette.size(), 256u);
  EXPECT_EQ(img.palette[0], (std::array<uint8_t, 4>{255, 0, 0, 0}));
  EXPECT_EQ(img.palette[1], (std::array<uint8_t, 4>{0, 255, 0, 128}));
  EXPECT_EQ(img.palette[2], (std::array<uint8_t, 4>{0, 0, 255, 255}));
  EXPECT_EQ(img.palette[5], (std::array<uint8_t, 4>{5, 5, 5, 255}));  // Pillow's ramp
}

TEST(DecodePng, GrayAlpha) {
  const Image img = decode(kGrayAlpha8);
  EXPECT_EQ(img.mode, PixelMode::gray_alpha);
  EXPECT_EQ(img.pixels, kGrayAlpha8Pixels);
}

TEST(DecodePng, SixteenBitColourTakesTheHighByte) {
  Image img = decode(kRgb16);
  EXPECT_EQ(img.mode, PixelMode::rgb);
  EXPECT_EQ(img.pixels, kRgb16Pixels);
  img = decode(kRgba16);
  EXPECT_EQ(img.mode, PixelMode::rgba);
  EXPECT_EQ(img.pixels, kRgba16Pixels);
}

TEST(DecodePng, SixteenBitGrayIsScaledAndIgnoresTrns) {
  const Image img = decode(kGray16);  // samples 0x1234, 0xFFFF
  EXPECT_EQ(img.mode, PixelMode::gray);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{0x12, 0xFF}));
}

TEST(DecodePng, ExifChunkOrientation) {
  Image img = decode(kExifRgb, false);
  EXPECT_EQ(img.width, 3);
  EXPECT_EQ(img.pixels, kExifRgbPixels);
  img = decode(kExifRgb, true);  // orientation 6; Pillow's exif_transpose gives 2x3
  EXPECT_EQ(img.width, 2);
  EXPECT_EQ(img.height, 3);
  std::vector<uint8_t> red;
  for (size_t i = 0; i < img.pixels.size(); i += 3) red.push_back(img.pixels[i]);
  EXPECT_EQ(red, (std::vector<uint8_t>{4, 1, 5, 2, 6, 3}));
}

}  // namespace
}  // namespace clipkit
