// image/transform.cpp — CLIP's image transform (OpenAI clip/clip.py `_transform`):
// Resize(n, BICUBIC) -> CenterCrop(n) -> convert("RGB") -> ToTensor -> Normalize,
// with the resize done in the image's own mode, as Pillow does it for torchvision.
#include "image/transform.hpp"

#include <cstring>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "image/convert.hpp"
#include "image/resample.hpp"

namespace clipkit {
namespace image {

std::pair<int, int> clip_resize_size(int width, int height, int n) {
  const bool portrait = width <= height;
  const int short_side = portrait ? width : height;
  const int long_side = portrait ? height : width;
  // Python: n * long / short is an exact integer product, then a correctly rounded
  // double division — the same as dividing the two doubles here (both exact).
  const double ratio = static_cast<double>(int64_t{n} * long_side) / short_side;
  if (!(ratio < 2147483647.0)) {
    throw Error(ErrorCode::resource_exhausted, "clip preprocess: a " + std::to_string(width) + "x" +
                                                   std::to_string(height) + " image resized to " + std::to_string(n) +
                                                   " on its short side is too long a strip");
  }
  const int new_long = static_cast<int>(ratio);
  return portrait ? std::pair{n, new_long} : std::pair{new_long, n};
}

int center_crop_offset(int size, int n) {
  const int diff = size - n;
  if (diff % 2 == 0) return diff / 2;
  const int down = diff / 2;  // x.5 rounds to the even neighbour
  return down % 2 == 0 ? down : down + 1;
}

}  // namespace image

std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, int size) {
  if (size <= 0) throw Error(ErrorCode::invalid_argument, "clip preprocess: size must be > 0");
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * channels(image.mode)) {
    throw Error(ErrorCode::invalid_argument,
                "clip preprocess: image of " + std::to_string(image.width) + "x" +
                    std::to_string(image.height) + " " + to_string(image.mode) + " with " +
                    std::to_string(image.pixels.size()) + " bytes");
  }
  const auto [width, height] = image::clip_resize_size(image.width, image.height, size);
  // Only the centre crop of the resized image is computed (exactly as the whole resize
  // would give it): a 1 x 42000 image would otherwise be resized to 224 x 9,408,000.
  const image::Window crop{image::center_crop_offset(width, size), image::center_crop_offset(height, size), size,
                           size};
  const Image cropped = image::resize_image(image, width, height, crop);
  return image::to_rgb(cropped);
}

std::vector<float> clip_preprocess(const Image& image, const PreprocessOptions& options) {
  const int n = options.size;
  const std::vector<uint8_t> rgb = clip_resize_crop_rgb(image, n);
  const size_t plane = static_cast<size_t>(n) * n;
  std::vector<float> chw(3 * plane);
  for (int ch = 0; ch < 3; ++ch) {
    const float mean = options.mean[ch], std = options.std[ch];
    float* out = chw.data() + ch * plane;
    for (size_t i = 0; i < plane; ++i) {
      // ToTensor divides by 255 in float32, then Normalize subtracts and divides.
      out[i] = (static_cast<float>(rgb[i * 3 + ch]) / 255.0f - mean) / std;
    }
  }
  return chw;
}

}  // namespace clipkit
