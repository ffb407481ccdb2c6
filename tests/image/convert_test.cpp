// tests/image/convert_test.cpp — Pillow's integer mode conversions. Expected bytes
// from Pillow 9.4: Image.frombytes(mode, (6, 1), data).convert(target).tobytes() for
// the six pixels below; the full (value, alpha) domain was also checked in Python.
#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "image/convert.hpp"

namespace clipkit::image {
namespace {

const std::vector<uint8_t> kPixels = {200, 100, 50, 128, 255, 255, 255, 1, 7, 8, 9, 254,
                                      123, 45, 67, 0, 99, 199, 250, 255, 1, 2, 3, 17};

TEST(Convert, PremultiplyMatchesPillow) {
  EXPECT_EQ(premultiply_alpha(kPixels, 4),
            (std::vector<uint8_t>{100, 50, 25, 128, 1, 1, 1, 1, 7, 8, 9, 254, 0, 0, 0, 0, 99,
                                  199, 250, 255, 0, 0, 0, 17}));
}

TEST(Convert, UnpremultiplyMatchesPillow) {
  std::vector<uint8_t> px = kPixels;
  unpremultiply_alpha(px, 4);
  EXPECT_EQ(px, (std::vector<uint8_t>{255, 199, 99, 128, 255, 255, 255, 1, 7, 8, 9, 254, 123,
                                      45, 67, 0, 99, 199, 250, 255, 15, 30, 45, 17}));
}

TEST(Convert, GrayAlphaUsesTheSameFormulas) {
  std::vector<uint8_t> la = {200, 128, 9, 0, 77, 255};
  EXPECT_EQ(premultiply_alpha(la, 2), (std::vector<uint8_t>{100, 128, 0, 0, 77, 255}));
  unpremultiply_alpha(la, 2);
  EXPECT_EQ(la, (std::vector<uint8_t>{255, 128, 9, 0, 77, 255}));
}

TEST(Convert, CmykToRgbMatchesPillow) {
  Image img;
  img.width = 6, img.height = 1, img.mode = PixelMode::cmyk, img.pixels = kPixels;
  EXPECT_EQ(to_rgb(img), (std::vector<uint8_t>{27, 77, 102, 0, 0, 0, 1, 1, 1, 132, 210, 188, 0,
                                               0, 0, 237, 236, 235}));
}

TEST(Convert, OtherModesToRgb) {
  Image img;
  img.width = 2, img.height = 1;
  img.mode = PixelMode::gray_alpha, img.pixels = {10, 0, 20, 255};
  EXPECT_EQ(to_rgb(img), (std::vector<uint8_t>{10, 10, 10, 20, 20, 20}));
  img.mode = PixelMode::rgba, img.pixels = {1, 2, 3, 0, 4, 5, 6, 9};
  EXPECT_EQ(to_rgb(img), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  img.mode = PixelMode::bilevel, img.pixels = {0, 255};
  EXPECT_EQ(to_rgb(img), (std::vector<uint8_t>{0, 0, 0, 255, 255, 255}));
  img.mode = PixelMode::palette, img.pixels = {1, 7};
  img.palette = {{0, 0, 0, 255}, {9, 8, 7, 0}};  // alpha dropped; 7 is past the palette
  EXPECT_EQ(to_rgb(img), (std::vector<uint8_t>{9, 8, 7, 7, 7, 7}));
  img.pixels = {1};
  EXPECT_THROW(to_rgb(img), Error);
}

}  // namespace
}  // namespace clipkit::image
