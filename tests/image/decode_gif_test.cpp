// tests/image/decode_gif_test.cpp — GIF first frames as Pillow 9.4 loads them.
// kGifInterlaced was written by Pillow 9.4 (a 5x20 "P" image, index (i*7)%13, a
// 13-colour palette (i*19, 255-i*19, i*50 % 256), transparency=3, interlace=True) and
// the expected pixels are np.array(Image.open(...)). Other GIFs are built here with
// giflib's encoder.
#include <gtest/gtest.h>

#include <gif_lib.h>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "pillow_fixtures.hpp"

namespace clipkit {
namespace {

// GifInterlaced: Pillow mode P size (5, 20) info {'transparency': 3}
const std::vector<uint8_t> kGifInterlaced = {71, 73, 70, 56, 57, 97, 5, 0, 20, 0, 131, 0, 0, 0, 255, 0, 19, 236, 50, 38, 217, 100, 57, 198, 150, 76, 179, 200, 95, 160, 250, 114, 141, 44, 133, 122, 94, 152, 103, 144, 171, 84, 194, 190, 65, 244, 209, 46, 38, 228, 27, 88, 0, 0, 0, 0, 0, 0, 0, 0, 0, 33, 249, 4, 1, 0, 0, 3, 0, 44, 0, 0, 0, 0, 5, 0, 20, 0, 0, 8, 53, 0, 1, 28, 8, 128, 64, 64, 130, 1, 10, 8, 44, 40, 192, 192, 128, 64, 130, 6, 17, 42, 100, 232, 112, 96, 193, 131, 9, 23, 54, 124, 120, 81, 162, 198, 138, 16, 49, 78, 220, 104, 49, 98, 70, 138, 28, 77, 142, 4, 217, 49, 97, 64, 0, 59};
const std::vector<uint8_t> kGifInterlacedPixels = {0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4, 11, 5, 12, 6, 0, 7, 1, 8, 2, 9, 3, 10, 4};

int write_to_vector(GifFileType* gif, const GifByteType* bytes, int length) {
  auto* out = static_cast<std::vector<uint8_t>*>(gif->UserData);
  out->insert(out->end(), bytes, bytes + length);
  return length;
}

// A one-frame GIF with a `colors`-entry table where entry i is colour(i); the frame
// (width x height at left, top) holds `indices`; the screen is screen_w x screen_h.
std::vector<uint8_t> make_gif(int screen_w, int screen_h, int left, int top, int width,
                              int height, const std::vector<uint8_t>& indices,
                              std::array<uint8_t, 3> (*colour)(int)) {
  std::vector<uint8_t> out;
  int error = 0;
  GifFileType* gif = EGifOpen(&out, write_to_vector, &error);
  EXPECT_NE(gif, nullptr);
  ColorMapObject* map = GifMakeMapObject(256, nullptr);
  for (int i = 0; i < 256; ++i) {
    const auto c = colour(i);
    map->Colors[i] = {c[0], c[1], c[2]};
  }
  EGifPutScreenDesc(gif, screen_w, screen_h, 8, 0, map);
  EGifPutImageDesc(gif, left, top, width, height, false, nullptr);
  std::vector<GifPixelType> row(width);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) row[x] = indices[y * width + x];
    EGifPutLine(gif, row.data(), width);
  }
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
  return out;
}

TEST(DecodeGif, InterlacedPaletteWithTransparency) {
  const Image img = decode_image_memory(kGifInterlaced, "interlaced.gif");
  EXPECT_EQ(img.mode, PixelMode::palette);
  EXPECT_EQ(img.width, 5);
  EXPECT_EQ(img.height, 20);
  EXPECT_EQ(img.pixels, kGifInterlacedPixels);
  ASSERT_EQ(img.palette.size(), 256u);
  EXPECT_EQ(img.palette[2], (std::array<uint8_t, 4>{38, 217, 100, 255}));
  EXPECT_EQ(img.palette[3][3], 0);  // the transparency index
}

TEST(DecodeGif, GrayRampTableBecomesL) {
  const auto bytes = make_gif(3, 2, 0, 0, 3, 2, {0, 50, 100, 150, 200, 250},
                              [](int i) { return std::array<uint8_t, 3>{uint8_t(i), uint8_t(i), uint8_t(i)}; });
  const Image img = decode_image_memory(bytes, "gray.gif");
  EXPECT_EQ(img.mode, PixelMode::gray);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{0, 50, 100, 150, 200, 250}));
}

TEST(DecodeGif, FrameIsPlacedOnTheScreen) {
  // A 2x1 frame at (1, 1) of a 3x2 screen; the rest of the canvas is index 0.
  const auto bytes = make_gif(3, 2, 1, 1, 2, 1, {7, 9},
                              [](int i) { return std::array<uint8_t, 3>{uint8_t(i), 0, 0}; });
  const Image img = decode_image_memory(bytes, "offset.gif");
  EXPECT_EQ(img.mode, PixelMode::palette);
  EXPECT_EQ(img.pixels, (std::vector<uint8_t>{0, 0, 0, 0, 7, 9}));
}

TEST(DecodeGif, OverMaxPixelsIsRefused) {
  DecodeOptions options;
  options.max_pixels = 99;  // the frame is 5x20
  try {
    decode_image_memory(kGifInterlaced, "big.gif", options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::resource_exhausted);
  }
}

TEST(DecodeGif, TruncatedIsCorrupt) {
  std::vector<uint8_t> cut(kGifInterlaced.begin(), kGifInterlaced.begin() + kGifInterlaced.size() / 2);
  try {
    decode_image_memory(cut, "cut.gif");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data);
    EXPECT_NE(std::string(e.what()).find("cut.gif"), std::string::npos) << e.what();
  }
}

// Damaged GIFs (no trailer, no block terminator, trailing garbage, junk before the
// image, a cut last sub-block, a cut second frame) read as far as Pillow 9.4 reads
// them, and the ones it refuses (cut data, early end code, bad codes) refused.
TEST(DecodeGif, DamagedFilesMatchPillow) {
  EXPECT_EQ(testing::expect_pillow_fixtures("gif_"), 12);
}

}  // namespace
}  // namespace clipkit
