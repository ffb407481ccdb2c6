// tests/image/decode_test.cpp — every test image decodes to exactly Pillow 9.4's mode,
// size and bytes, with EXIF orientation off (as Image.open leaves it). The hashes are
// FNV-1a 64 of Pillow's im.tobytes() ("1" as 0/255 bytes) and of
// im.convert("RGB").tobytes(), computed once with Debian's Pillow 9.4.
#include <gtest/gtest.h>

#include <cstdio>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "image/convert.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

uint64_t fnv1a(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

struct Expected {
  const char* file;
  const char* mode;
  int width, height;
  uint64_t pixels_hash, rgb_hash;
};

const Expected kExpected[] = {
    {"CLIP.png", "RGBA", 2162, 762, 0x96b5dbc5a5eda2f7ull, 0x24e0eb79c9a51c24ull},
    {"astronaut.png", "RGB", 512, 512, 0xfa4e6bff08e5e8fbull, 0xfa4e6bff08e5e8fbull},
    {"camera.png", "L", 512, 512, 0x15fd86556e657c04ull, 0x350bdd5a5fceb30eull},
    {"checker_bilevel.png", "1", 10, 10, 0x393d898340b05b4bull, 0x929056621424adc7ull},
    {"chelsea.bmp", "RGB", 451, 300, 0xb2179687966157a8ull, 0xb2179687966157a8ull},
    {"chelsea.png", "RGB", 451, 300, 0xb2179687966157a8ull, 0xb2179687966157a8ull},
    {"chelsea.webp", "RGB", 451, 300, 0x2c7ff4464b45a097ull, 0x2c7ff4464b45a097ull},
    {"chelsea_cmyk.jpg", "CMYK", 451, 300, 0x0bacf65b9d5c4615ull, 0x15337fd542b415bdull},
    {"chelsea_exif3.jpg", "RGB", 451, 300, 0xe379fe3e9b3a0944ull, 0xe379fe3e9b3a0944ull},
    {"chelsea_exif6.jpg", "RGB", 300, 451, 0x3c3abcb4b6c03bceull, 0x3c3abcb4b6c03bceull},
    {"chelsea_gray.jpg", "L", 451, 300, 0x2e0607ff6ae9de36ull, 0x8e2ddaadba4719d4ull},
    {"chelsea_palette_trns.png", "P", 451, 300, 0x28f2d5aafaa0584dull, 0xe243e0a55d4b4ee1ull},
    {"chelsea_progressive.jpg", "RGB", 451, 300, 0x024438edc98aabf6ull, 0x024438edc98aabf6ull},
    {"chelsea_q50_420.jpg", "RGB", 451, 300, 0x779e05f69765a45aull, 0x779e05f69765a45aull},
    {"chelsea_sliver.png", "RGB", 3, 300, 0x9f3c275a022460bdull, 0x9f3c275a022460bdull},
    {"chelsea_small.png", "RGB", 64, 42, 0xdc0719235bab6576ull, 0xdc0719235bab6576ull},
    {"coffee.png", "RGB", 600, 400, 0xd261c1b91ef6ee1eull, 0xd261c1b91ef6ee1eull},
    {"green_palette.png", "P", 320, 240, 0x04a40322c4cd20f0ull, 0xb8301be1989ba54dull},
    {"logo.png", "RGBA", 500, 500, 0x2ace53d2c520a96aull, 0x53277361b10f3de2ull},
    {"rocket.jpg", "RGB", 640, 427, 0x34b9b35d9b0edb19ull, 0x34b9b35d9b0edb19ull},
};

TEST(Decode, EveryTestImageMatchesPillow) {
  DecodeOptions options;
  options.apply_exif_orientation = false;
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.file);
    const Image img = decode_image_file(testing::images_dir() / e.file, options);
    EXPECT_STREQ(to_string(img.mode), e.mode);
    EXPECT_EQ(img.width, e.width);
    EXPECT_EQ(img.height, e.height);
    ASSERT_EQ(img.pixels.size(), static_cast<size_t>(e.width) * e.height * channels(img.mode));
    EXPECT_EQ(fnv1a(img.pixels), e.pixels_hash);
    EXPECT_EQ(fnv1a(image::to_rgb(img)), e.rgb_hash);
  }
}

TEST(Decode, SniffsContentNotExtension) {
  const auto bytes = testing::read_bytes(testing::images_dir() / "chelsea.png");
  const Image img = decode_image_memory(bytes, "misnamed.jpg");
  EXPECT_EQ(img.mode, PixelMode::rgb);
  EXPECT_EQ(img.width, 451);
}

TEST(Decode, Gray16IsScaledNotClipped) {
  // chelsea_gray16.png holds v = 257 * L where L is Pillow's convert("L") of
  // chelsea.png (checked in Python), so v >> 8 must give L back exactly; Pillow itself
  // would clip every value above 255 to 255.
  const Image gray16 = decode_image_file(testing::images_dir() / "chelsea_gray16.png");
  ASSERT_EQ(gray16.mode, PixelMode::gray);
  const Image rgb = decode_image_file(testing::images_dir() / "chelsea.png");
  ASSERT_EQ(gray16.width, rgb.width);
  ASSERT_EQ(gray16.height, rgb.height);
  int max_diff = 0, saturated = 0;
  for (size_t i = 0; i < gray16.pixels.size(); ++i) {
    const uint8_t* p = &rgb.pixels[i * 3];
    // Pillow's RGB -> L: ITU-R 601-2 luma in 16-bit fixed point.
    const int luma = (p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16;
    max_diff = std::max(max_diff, std::abs(luma - int{gray16.pixels[i]}));
    saturated += gray16.pixels[i] == 255;
  }
  EXPECT_EQ(max_diff, 0);
  EXPECT_LT(saturated, 100) << "16-bit samples look clipped rather than scaled";
}

}  // namespace
}  // namespace clipkit
