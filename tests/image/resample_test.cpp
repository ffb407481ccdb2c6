// tests/image/resample_test.cpp — Pillow-exact resizing on tiny images. The expected
// bytes were produced once with Debian's Pillow 9.4 (the same Pillow that made the
// fixtures): random uint8 inputs (numpy RandomState(7)) turned into an image with
// Image.frombytes(mode, size, data) and resized with im.resize((w, h), Image.BICUBIC),
// which Pillow turns into NEAREST for "1" and "P" and premultiplies for "RGBA"/"LA";
// the output is im.tobytes() ("1" shown as 0/255).
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "image/decoders.hpp"  // ramp_palette
#include "image/resample.hpp"
#include "pillow_fixtures.hpp"  // from_hex, first_difference
#include "support/test_support.hpp"

namespace clipkit::image {
namespace {

using clipkit::testing::expect_error;

struct PillowCase {
  std::string mode;
  int width, height, out_width, out_height;
  std::vector<uint8_t> input, expected;
};

PixelMode mode_of(const std::string& name) {
  if (name == "1") return PixelMode::bilevel;
  if (name == "L") return PixelMode::gray;
  if (name == "LA") return PixelMode::gray_alpha;
  if (name == "P") return PixelMode::palette;
  if (name == "RGB") return PixelMode::rgb;
  if (name == "RGBA") return PixelMode::rgba;
  return PixelMode::cmyk;
}

const std::vector<PillowCase>& pillow_cases() {
  static const std::vector<PillowCase> cases = {
      // L 5x3 -> 2x2
      {"L", 5, 3, 2, 2, {175, 196, 25, 246, 67, 211, 151, 103, 92, 185, 142, 23, 72, 89, 110}, {158, 131, 104, 101}},
      // RGB 7x5 -> 3x9
      {"RGB", 7, 5, 3, 9, {42, 218, 136, 167, 230, 68, 176, 127, 135, 172, 0, 75, 55, 250, 6, 19, 188, 44, 191, 69, 56, 152, 183, 181, 112, 251, 189, 192, 34, 56, 201, 206, 38, 4, 238, 137, 87, 227, 195, 72, 83, 176, 1, 192, 144, 118, 159, 93, 172, 92, 252, 71, 23, 10, 233, 35, 192, 61, 135, 151, 92, 247, 224, 149, 100, 163, 225, 67, 123, 219, 225, 19, 155, 4, 19, 33, 123, 30, 185, 229, 73, 221, 209, 127, 159, 130, 83, 178, 146, 21, 119, 67, 203, 186, 47, 16, 12, 93, 107, 233, 137, 76, 67, 110, 142}, {123, 205, 106, 137, 109, 70, 89, 155, 25, 134, 197, 124, 138, 135, 70, 78, 164, 76, 149, 182, 156, 139, 176, 73, 60, 179, 169, 114, 172, 157, 143, 120, 104, 75, 170, 197, 81, 161, 143, 147, 45, 126, 106, 158, 185, 148, 131, 131, 146, 73, 64, 145, 186, 128, 203, 110, 115, 141, 102, 22, 165, 195, 83, 178, 119, 91, 130, 80, 67, 139, 142, 96, 160, 126, 78, 125, 66, 96, 123, 112, 105}},
      // RGBA 4x4 -> 3x2
      {"RGBA", 4, 4, 3, 2, {124, 20, 53, 0, 143, 59, 35, 48, 4, 43, 200, 218, 250, 54, 43, 239, 215, 205, 178, 39, 131, 157, 140, 255, 79, 29, 136, 54, 166, 117, 198, 149, 44, 219, 135, 209, 234, 239, 197, 100, 180, 233, 169, 29, 26, 64, 252, 190, 214, 226, 12, 134, 232, 162, 187, 106, 110, 116, 241, 93, 230, 234, 17, 5}, {135, 185, 154, 66, 78, 100, 156, 137, 162, 66, 132, 181, 135, 215, 107, 156, 198, 177, 195, 86, 39, 82, 255, 83}},
      // LA 5x2 -> 3x3
      {"LA", 5, 2, 3, 3, {79, 49, 182, 76, 105, 232, 220, 182, 175, 165, 201, 87, 149, 4, 219, 76, 233, 75, 6, 120}, {120, 57, 135, 200, 199, 180, 160, 54, 160, 124, 152, 139, 204, 50, 255, 47, 65, 98}},
      // CMYK 3x3 -> 2x2
      {"CMYK", 3, 3, 2, 2, {225, 213, 85, 158, 107, 220, 56, 51, 247, 183, 121, 140, 76, 109, 164, 199, 85, 186, 41, 230, 143, 43, 59, 82, 63, 156, 144, 133, 35, 77, 32, 117, 215, 223, 161, 45}, {144, 192, 90, 155, 167, 158, 77, 118, 53, 126, 109, 164, 138, 139, 87, 94}},
      // P 5x3 -> 3x7
      {"P", 5, 3, 3, 7, {168, 116, 219, 142, 45, 105, 42, 96, 34, 95, 112, 183, 230, 146, 9}, {168, 219, 45, 168, 219, 45, 105, 96, 95, 105, 96, 95, 105, 96, 95, 112, 230, 9, 112, 230, 9}},
      // 1 4x3 -> 7x2
      {"1", 4, 3, 7, 2, {255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 0}, {255, 255, 255, 255, 255, 255, 255, 0, 0, 255, 255, 255, 0, 0}},
      // L 6x1 -> 13x1
      {"L", 6, 1, 13, 1, {161, 213, 211, 255, 82, 64}, {156, 168, 196, 215, 211, 212, 244, 255, 189, 96, 64, 64, 62}},
  };
  return cases;
}

TEST(Resample, MatchesPillowOnTinyImages) {
  for (const PillowCase& c : pillow_cases()) {
    SCOPED_TRACE(c.mode + " " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                 " -> " + std::to_string(c.out_width) + "x" + std::to_string(c.out_height));
    Image img;
    img.width = c.width;
    img.height = c.height;
    img.mode = mode_of(c.mode);
    img.pixels = c.input;
    const Image out = resize_image(img, c.out_width, c.out_height);
    EXPECT_EQ(out.width, c.out_width);
    EXPECT_EQ(out.height, c.out_height);
    EXPECT_EQ(out.mode, img.mode);
    ASSERT_EQ(out.pixels.size(), c.expected.size());
    for (size_t i = 0; i < c.expected.size(); ++i) {
      ASSERT_EQ(int{out.pixels[i]}, int{c.expected[i]}) << "first difference at byte " << i;
    }
  }
}

// Bilinear (and bicubic again) in every mode, from tests/reference/siglip_preprocess.py:
// Image.frombytes(mode, size, RandomState(7) bytes).resize(out_size, BILINEAR | BICUBIC)
// with Debian's Pillow 9.4 ("1" and "P" are NEAREST whatever the filter, "RGBA"/"LA"
// premultiplied).
TEST(Resample, MatchesPillowBilinearAndBicubicInEveryMode) {
  const nlohmann::json cases =
      testing::read_json(testing::source_dir() / "tests" / "data" / "siglip-preprocess" / "resample_cases.json");
  int compared = 0;
  for (const auto& c : cases["cases"]) {
    const std::string mode = c["mode"], filter = c["filter"];
    Image img;
    img.mode = mode_of(mode);
    img.width = c["size"][0];
    img.height = c["size"][1];
    img.pixels = testing::from_hex(c["input"]);
    if (img.mode == PixelMode::palette) img.palette = ramp_palette();
    const int ow = c["out_size"][0], oh = c["out_size"][1];
    SCOPED_TRACE(mode + " " + filter + " " + std::to_string(img.width) + "x" + std::to_string(img.height) + " -> " +
                 std::to_string(ow) + "x" + std::to_string(oh));
    const Interpolation interpolation = filter == "bilinear" ? Interpolation::bilinear : Interpolation::bicubic;
    const Image out = resize_image(img, ow, oh, interpolation);
    ASSERT_EQ(out.width, ow);
    ASSERT_EQ(out.height, oh);
    EXPECT_EQ(testing::first_difference(testing::from_hex(c["expected"]), out.pixels), "");
    ++compared;
  }
  EXPECT_EQ(compared, 7 * 8 * 2);
}

TEST(Resample, BilinearTriangleWeights) {
  // 4 -> 2 horizontally: scale 2, support 2; output 0 (centre 1.0) reads inputs 0..2 at
  // 1 - |x + 0.5 - 1| / 2 = 0.75, 0.75, 0.25: (0 + 30 + 20) / 1.75 = 28.57 -> 29;
  // output 1 (centre 3.0) reads 1..3 at 0.25, 0.75, 0.75: 190 / 1.75 = 108.57 -> 109.
  const std::vector<uint8_t> in = {0, 40, 80, 160};
  EXPECT_EQ(resample(in, 4, 1, 1, 2, 1, Interpolation::bilinear), (std::vector<uint8_t>{29, 109}));
  // Upscaling 2 -> 4: support 1; output 1 (centre 0.75) reads inputs 0, 1 at weights
  // 0.75, 0.25: 10*0.75 + 20*0.25 = 12.5 -> 13 (sums start at half a unit).
  const std::vector<uint8_t> two = {10, 20};
  EXPECT_EQ(resample(two, 2, 1, 1, 4, 1, Interpolation::bilinear), (std::vector<uint8_t>{10, 13, 18, 20}));
}

TEST(Resample, HalvingTwoPixelsAverages) {
  // 2 -> 1: both taps sit 0.25 (in output units) from the centre: equal weights.
  const std::vector<uint8_t> in = {10, 20};
  EXPECT_EQ(resample_bicubic(in, 2, 1, 1, 1, 1), (std::vector<uint8_t>{15}));
}

TEST(Resample, UniformImageStaysUniform) {
  const std::vector<uint8_t> in(13 * 7 * 3, 77);
  for (auto [w, h] : {std::pair{5, 3}, std::pair{29, 11}, std::pair{13, 2}}) {
    const auto out = resample_bicubic(in, 13, 7, 3, w, h);
    ASSERT_EQ(out.size(), static_cast<size_t>(w * h * 3));
    for (uint8_t v : out) ASSERT_EQ(v, 77);
  }
}

TEST(Resample, SameSizeIsACopy) {
  const std::vector<uint8_t> in = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(resample_bicubic(in, 3, 2, 1, 3, 2), in);
  EXPECT_EQ(resize_nearest(in, 3, 2, 1, 3, 2), in);
}

TEST(Resample, NearestPicksCentres) {
  // 4 -> 2: source columns trunc(1.0) = 1 and trunc(3.0) = 3.
  const std::vector<uint8_t> in = {0, 10, 20, 30};
  EXPECT_EQ(resize_nearest(in, 4, 1, 1, 2, 1), (std::vector<uint8_t>{10, 30}));
}

// A window of a resize is exactly that part of the whole resize, for every mode (bicubic
// and bilinear, premultiplied alpha, nearest for palettes), up- and downscaling, odd sizes.
TEST(Resample, WindowIsTheCropOfTheWholeResize) {
  std::mt19937 rng(11);
  const std::pair<int, int> sizes[][2] = {
      {{37, 23}, {64, 91}}, {{300, 7}, {97, 5}}, {{5, 400}, {224, 17920}}, {{64, 64}, {64, 31}}};
  for (Interpolation interpolation : {Interpolation::bicubic, Interpolation::bilinear})
  for (PixelMode mode : {PixelMode::gray, PixelMode::rgb, PixelMode::rgba, PixelMode::gray_alpha, PixelMode::palette,
                         PixelMode::cmyk}) {
    for (const auto& [in, out] : sizes) {
      Image image;
      image.mode = mode;
      image.width = in.first;
      image.height = in.second;
      image.pixels.resize(static_cast<size_t>(in.first) * in.second * channels(mode));
      for (auto& p : image.pixels) p = static_cast<uint8_t>(rng());
      if (mode == PixelMode::palette) image.palette = ramp_palette();
      const Image whole = resize_image(image, out.first, out.second, interpolation);
      const int c = channels(mode);
      for (int trial = 0; trial < 4; ++trial) {
        Window w;
        w.width = 1 + static_cast<int>(rng() % out.first);
        w.height = 1 + static_cast<int>(rng() % std::min(out.second, 300));
        w.x = static_cast<int>(rng() % (out.first - w.width + 1));
        w.y = static_cast<int>(rng() % (out.second - w.height + 1));
        const Image part = resize_image(image, out.first, out.second, interpolation, w);
        ASSERT_EQ(part.width, w.width);
        ASSERT_EQ(part.height, w.height);
        for (int y = 0; y < w.height; ++y) {
          const auto* expected = &whole.pixels[(static_cast<size_t>(w.y + y) * out.first + w.x) * c];
          const auto* got = &part.pixels[static_cast<size_t>(y) * w.width * c];
          ASSERT_EQ(std::memcmp(expected, got, static_cast<size_t>(w.width) * c), 0)
              << to_string(mode) << (interpolation == Interpolation::bilinear ? " bilinear " : " bicubic ") << in.first << "x" << in.second << " -> " << out.first << "x" << out.second
              << " window " << w.width << "x" << w.height << "+" << w.x << "+" << w.y << ", row " << y;
        }
      }
    }
  }
  Image tiny;
  tiny.mode = PixelMode::gray;
  tiny.width = tiny.height = 2;
  tiny.pixels = {1, 2, 3, 4};
  expect_error([&] { resize_image(tiny, 4, 4, Window{2, 0, 3, 1}); }, ErrorCode::invalid_argument,
               {"window 3x1+2+0 is not inside 4x4"});
}

TEST(Resample, RejectsBadSizes) {
  const std::vector<uint8_t> in = {1, 2, 3};
  EXPECT_THROW(resample_bicubic(in, 2, 2, 1, 1, 1), Error);  // 3 bytes for 2x2
  EXPECT_THROW(resample_bicubic(in, 3, 1, 1, 0, 1), Error);
  EXPECT_THROW(resize_nearest(in, 3, 1, 5, 1, 1), Error);
}

}  // namespace
}  // namespace clipkit::image
