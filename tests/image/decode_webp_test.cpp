// tests/image/decode_webp_test.cpp — WebP: the lossy fixture against Pillow 9.4's
// pixels (np.array(Image.open("chelsea.webp"))), and a lossless RGBA image made here
// with libwebp's encoder, which must come back bit-exact.
#include <gtest/gtest.h>

#include <webp/encode.h>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "support/test_support.hpp"
#include "pillow_fixtures.hpp"

namespace clipkit {
namespace {

TEST(DecodeWebp, LossyMatchesPillowPixels) {
  const Image img = decode_image_file(testing::images_dir() / "chelsea.webp");
  ASSERT_EQ(img.mode, PixelMode::rgb);
  ASSERT_EQ(img.width, 451);
  ASSERT_EQ(img.height, 300);
  auto px = [&](int x, int y) {
    const uint8_t* p = &img.pixels[(size_t(y) * 451 + x) * 3];
    return std::vector<int>{p[0], p[1], p[2]};
  };
  EXPECT_EQ(px(0, 0), (std::vector<int>{146, 123, 106}));
  EXPECT_EQ(px(1, 0), (std::vector<int>{144, 122, 105}));
  EXPECT_EQ(px(200, 150), (std::vector<int>{121, 65, 34}));
}

TEST(DecodeWebp, LosslessAlphaRoundTrips) {
  std::vector<uint8_t> rgba(5 * 3 * 4);
  for (size_t i = 0; i < rgba.size(); ++i) rgba[i] = uint8_t(i * 37 + 11);
  for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] |= 1;  // no alpha 0: RGB kept exactly
  uint8_t* encoded = nullptr;
  const size_t size = WebPEncodeLosslessRGBA(rgba.data(), 5, 3, 5 * 4, &encoded);
  ASSERT_GT(size, 0u);
  const std::vector<uint8_t> bytes(encoded, encoded + size);
  WebPFree(encoded);
  const Image img = decode_image_memory(bytes, "alpha.webp");
  EXPECT_EQ(img.mode, PixelMode::rgba);
  EXPECT_EQ(img.width, 5);
  EXPECT_EQ(img.pixels, rgba);

  std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + bytes.size() - 8);
  try {
    decode_image_memory(cut, "cut.webp");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data);
  }
}

// Animated WebP (lossless and lossy, with and without alpha, a first frame smaller
// than the canvas): the first frame on the canvas, as Pillow 9.4 gives it.
TEST(DecodeWebp, AnimationFirstFrameMatchesPillow) {
  EXPECT_EQ(testing::expect_pillow_fixtures("webp_anim_"), 5);
}

}  // namespace
}  // namespace clipkit
