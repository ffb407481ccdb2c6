// tests/image/exif_test.cpp — EXIF Orientation parsing and the eight transpositions,
// checked against Pillow 9.4's Image.transpose on a 3x2 image, and the JPEG fixture
// chelsea_exif6.jpg (stored rotated, Orientation 6).
#include <gtest/gtest.h>

#include "clipkit/image.hpp"
#include "image/exif.hpp"
#include "support/test_support.hpp"

namespace clipkit::image {
namespace {

std::vector<uint8_t> tiff(bool big_endian, uint16_t type, uint32_t value) {
  auto u16 = [&](std::vector<uint8_t>& b, uint32_t v) {
    const uint8_t hi = uint8_t(v >> 8), lo = uint8_t(v);
    b.push_back(big_endian ? hi : lo);
    b.push_back(big_endian ? lo : hi);
  };
  auto u32 = [&](std::vector<uint8_t>& b, uint32_t v) {
    if (big_endian) u16(b, v >> 16), u16(b, v & 0xFFFF);
    else u16(b, v & 0xFFFF), u16(b, v >> 16);
  };
  std::vector<uint8_t> b = big_endian ? std::vector<uint8_t>{'M', 'M'} : std::vector<uint8_t>{'I', 'I'};
  u16(b, 42);
  u32(b, 8);
  u16(b, 2);  // two entries: an unrelated tag first, then Orientation
  u16(b, 0x010F), u16(b, 2), u32(b, 4), u32(b, 0);
  u16(b, 0x0112), u16(b, type), u32(b, 1);
  if (type == 3) u16(b, value), u16(b, 0);
  else u32(b, value);
  u32(b, 0);
  return b;
}

TEST(Exif, ReadsOrientationInBothByteOrders) {
  for (int o = 1; o <= 8; ++o) {
    EXPECT_EQ(exif_orientation(tiff(false, 3, o)), o);
    EXPECT_EQ(exif_orientation(tiff(true, 3, o)), o);
  }
  EXPECT_EQ(exif_orientation(tiff(true, 4, 6)), 6);  // LONG
  auto with_prefix = tiff(false, 3, 8);
  const std::vector<uint8_t> prefix = {'E', 'x', 'i', 'f', 0, 0};
  with_prefix.insert(with_prefix.begin(), prefix.begin(), prefix.end());
  EXPECT_EQ(exif_orientation(with_prefix), 8);
}

TEST(Exif, MalformedBlocksGiveNoOrientation) {
  EXPECT_EQ(exif_orientation({}), 0);
  EXPECT_EQ(exif_orientation(tiff(false, 3, 9)), 0);  // out of range
  const auto whole = tiff(false, 3, 6);
  ASSERT_GT(whole.size(), 10u);
  // The Orientation entry is cut off. (A copy, not resize(): GCC 12 warns falsely on it.)
  const std::vector<uint8_t> cut(whole.begin(), whole.end() - 10);
  EXPECT_EQ(exif_orientation(cut), 0);
  auto bad_offset = tiff(true, 3, 6);
  bad_offset[7] = 0xF0;  // IFD0 offset past the end
  EXPECT_EQ(exif_orientation(bad_offset), 0);
  auto bad_magic = tiff(false, 3, 6);
  bad_magic[2] = 41;
  EXPECT_EQ(exif_orientation(bad_magic), 0);
}

TEST(Exif, TranspositionsMatchPillow) {
  // Pillow: Image.fromarray([[0,10,20],[30,40,50]]).transpose(method)
  Image img;
  img.width = 3, img.height = 2, img.mode = PixelMode::gray;
  img.pixels = {0, 10, 20, 30, 40, 50};
  const std::vector<std::vector<uint8_t>> expected = {
      {},
      {0, 10, 20, 30, 40, 50},
      {20, 10, 0, 50, 40, 30},  // 2 FLIP_LEFT_RIGHT
      {50, 40, 30, 20, 10, 0},  // 3 ROTATE_180
      {30, 40, 50, 0, 10, 20},  // 4 FLIP_TOP_BOTTOM
      {0, 30, 10, 40, 20, 50},  // 5 TRANSPOSE
      {30, 0, 40, 10, 50, 20},  // 6 ROTATE_270
      {50, 20, 40, 10, 30, 0},  // 7 TRANSVERSE
      {20, 50, 10, 40, 0, 30},  // 8 ROTATE_90
  };
  for (int o = 1; o <= 8; ++o) {
    SCOPED_TRACE(o);
    const Image out = apply_orientation(img, o);
    EXPECT_EQ(out.pixels, expected[o]);
    EXPECT_EQ(out.width, o >= 5 ? 2 : 3);
    EXPECT_EQ(out.height, o >= 5 ? 3 : 2);
  }
}

TEST(Exif, MultiChannelPixelsMoveWhole) {
  Image img;
  img.width = 2, img.height = 1, img.mode = PixelMode::gray_alpha;
  img.pixels = {1, 2, 3, 4};
  const Image out = apply_orientation(img, 6);
  EXPECT_EQ(out.width, 1);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(apply_orientation(img, 2).pixels, (std::vector<uint8_t>{3, 4, 1, 2}));
}

TEST(Exif, JpegOrientationSixSwapsDimensions) {
  const auto path = testing::images_dir() / "chelsea_exif6.jpg";
  DecodeOptions off;
  off.apply_exif_orientation = false;
  const Image stored = decode_image_file(path, off);
  const Image upright = decode_image_file(path);  // on by default
  EXPECT_EQ(stored.width, 300);
  EXPECT_EQ(stored.height, 451);
  EXPECT_EQ(upright.width, 451);
  EXPECT_EQ(upright.height, 300);
  // Rotating 90 degrees clockwise: upright(x, y) = stored(y, h - 1 - x).
  for (auto [x, y] : {std::pair{0, 0}, std::pair{450, 0}, std::pair{17, 299}, std::pair{200, 123}}) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(upright.pixels[(size_t(y) * 451 + x) * 3 + c],
                stored.pixels[(size_t(450 - x) * 300 + y) * 3 + c]);
    }
  }
  // Orientation 3 keeps the size.
  const Image flipped = decode_image_file(testing::images_dir() / "chelsea_exif3.jpg");
  EXPECT_EQ(flipped.width, 451);
}

}  // namespace
}  // namespace clipkit::image
