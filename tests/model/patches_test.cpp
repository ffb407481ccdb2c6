// unfold_patches against the conv's definition, element by element: values must match
// exactly (it only moves floats).
#include "model/patches.hpp"

#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

namespace clipkit::model {
namespace {

// Pixel (n, ch, y, x) holds a value that names it, so a misplaced copy cannot match.
std::vector<float> labelled_images(size_t count, size_t res) {
  std::vector<float> pixels(count * 3 * res * res);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<float>(i);
  return pixels;
}

TEST(UnfoldPatches, EachRowIsOnePatchInConvWeightOrder) {
  struct Shape {
    size_t count, res, patch;
  };
  // Square grids, a single patch, and a resolution that is not a multiple of the patch
  // (the conv drops the right and bottom edge).
  for (const Shape s : {Shape{1, 8, 4}, Shape{3, 12, 4}, Shape{2, 5, 5}, Shape{2, 11, 3}, Shape{5, 32, 16}}) {
    SCOPED_TRACE(testing::Message() << "count=" << s.count << " res=" << s.res << " patch=" << s.patch);
    const size_t grid = s.res / s.patch, patch_len = 3 * s.patch * s.patch;
    const std::vector<float> pixels = labelled_images(s.count, s.res);
    const std::vector<float> rows = unfold_patches(pixels.data(), s.count, s.res, s.patch);
    ASSERT_EQ(rows.size(), s.count * grid * grid * patch_len);
    for (size_t n = 0; n < s.count; ++n)
      for (size_t gy = 0; gy < grid; ++gy)
        for (size_t gx = 0; gx < grid; ++gx)
          for (size_t ch = 0; ch < 3; ++ch)
            for (size_t py = 0; py < s.patch; ++py)
              for (size_t px = 0; px < s.patch; ++px) {
                const size_t row = (n * grid + gy) * grid + gx;
                const size_t got = row * patch_len + (ch * s.patch + py) * s.patch + px;
                const size_t want = ((n * 3 + ch) * s.res + gy * s.patch + py) * s.res + gx * s.patch + px;
                ASSERT_EQ(rows[got], pixels[want]) << "first difference at index " << got << " (image " << n
                                                   << ", patch " << gy << "," << gx << ", channel " << ch << ")";
              }
  }
}

TEST(UnfoldPatches, NoImagesGiveNoRows) {
  EXPECT_TRUE(unfold_patches(nullptr, 0, 32, 16).empty());
}

}  // namespace
}  // namespace clipkit::model
