// image/transform.cpp — the preprocessing transforms CLIP and SigLIP checkpoints declare:
// OpenAI clip/clip.py `_transform` and open_clip v2.24.0 transform.py `image_transform`
// (Resize / ResizeKeepRatio -> CenterCrop / CenterCropOrPad -> convert("RGB") ->
// ToTensor -> Normalize, resizing in the image's own mode as Pillow does it for
// torchvision), and transformers' SiglipImageProcessor / CLIPImageProcessor
// (convert_to_rgb -> resize -> center_crop -> rescale -> normalize).
#include "image/transform.hpp"

#include <algorithm>
#include <cmath>
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

int hf_center_crop_offset(int size, int n) { return (size - n) / 2; }

std::pair<int, int> longest_resize_size(int width, int height, int n) {
  // ratio = max(ratio_h, ratio_w) * 1.0 + min(...) * 0.0 is exactly the max; each side
  // is round(side * 1.0 / ratio). Both quotients are <= n (+ rounding), so they fit.
  const double ratio = std::max(static_cast<double>(height) / n, static_cast<double>(width) / n);
  // std::nearbyint rounds half to even in the default rounding mode, as Python's round.
  const auto round_half_even = [](double v) { return static_cast<int>(std::nearbyint(v)); };
  return {round_half_even(static_cast<double>(width) / ratio), round_half_even(static_cast<double>(height) / ratio)};
}

namespace {

std::string describe(const Image& image) {
  return std::to_string(image.width) + "x" + std::to_string(image.height) + " " + to_string(image.mode);
}

void check_arguments(const Image& image, const PreprocessOptions& options) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * channels(image.mode)) {
    throw Error(ErrorCode::invalid_argument, "clip preprocess: image of " + describe(image) + " with " +
                                                 std::to_string(image.pixels.size()) + " bytes");
  }
  if (options.size <= 0) throw Error(ErrorCode::invalid_argument, "clip preprocess: size must be > 0");
  if (options.resize_size != 0 && options.resize_size < options.size) {
    throw Error(ErrorCode::invalid_argument, "clip preprocess: resize_size " + std::to_string(options.resize_size) +
                                                 " is smaller than the crop size " + std::to_string(options.size));
  }
  for (float s : options.std) {
    if (s == 0.0f || !std::isfinite(s)) throw Error(ErrorCode::invalid_argument, "clip preprocess: std must be finite and non-zero");
  }
  if (options.order == PreprocessOrder::torchvision && options.rescale_factor != 1.0 / 255.0) {
    throw Error(ErrorCode::invalid_argument,
                "clip preprocess: rescale_factor applies to the transformers order only (ToTensor divides by 255)");
  }
  if (!std::isfinite(options.rescale_factor)) {
    throw Error(ErrorCode::invalid_argument, "clip preprocess: rescale_factor must be finite");
  }
  if (options.order == PreprocessOrder::transformers && options.resize_mode == ResizeMode::longest) {
    throw Error(ErrorCode::invalid_argument,
                "clip preprocess: resize_mode longest is open_clip's (torchvision order); no Hugging Face image "
                "processor does it");
  }
}

// open_clip's CenterCropOrPad(n, fill=0) on a PIL image: pad each side that is shorter
// than n by ((n - s) // 2, (n - s + 1) // 2) with the fill (zero bytes in the image's own
// mode: torchvision's pad fills every band with 0, a palette image with index 0), then
// crop n x n at round((side - n) / 2), half to even.
Image center_crop_or_pad(const Image& image, int n) {
  const int c = channels(image.mode);
  const auto place = [n](int side, int& pad, int& offset) {
    pad = side < n ? (n - side) / 2 : 0;
    offset = side < n ? 0 : center_crop_offset(side, n);
  };
  int pad_x, pad_y, off_x, off_y;
  place(image.width, pad_x, off_x);
  place(image.height, pad_y, off_y);
  Image out;
  out.width = out.height = n;
  out.mode = image.mode;
  out.palette = image.palette;
  out.pixels.assign(static_cast<size_t>(n) * n * c, 0);
  const int copy_w = std::min(n - pad_x, image.width - off_x);
  const int copy_h = std::min(n - pad_y, image.height - off_y);
  for (int y = 0; y < copy_h; ++y) {
    std::memcpy(&out.pixels[(static_cast<size_t>(y + pad_y) * n + pad_x) * c],
                &image.pixels[(static_cast<size_t>(y + off_y) * image.width + off_x) * c], static_cast<size_t>(copy_w) * c);
  }
  return out;
}

}  // namespace
}  // namespace image

const char* to_string(Interpolation interpolation) {
  return interpolation == Interpolation::bilinear ? "bilinear" : "bicubic";
}

const char* to_string(ResizeMode mode) {
  switch (mode) {
    case ResizeMode::shortest: return "shortest";
    case ResizeMode::squash: return "squash";
    case ResizeMode::longest: return "longest";
  }
  return "?";
}

const char* to_string(PreprocessOrder order) {
  return order == PreprocessOrder::transformers ? "transformers" : "torchvision";
}

std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, int size) {
  PreprocessOptions options;
  options.size = size;
  return clip_resize_crop_rgb(image, options);
}

std::vector<uint8_t> clip_resize_crop_rgb(const Image& image, const PreprocessOptions& options) {
  image::check_arguments(image, options);
  const int n = options.size;
  const bool hf = options.order == PreprocessOrder::transformers;
  // transformers converts before resizing; torchvision resizes in the file's own mode.
  Image converted;
  if (hf && image.mode != PixelMode::rgb) {
    converted.width = image.width;
    converted.height = image.height;
    converted.mode = PixelMode::rgb;
    converted.pixels = image::to_rgb(image);
  }
  const Image& source = hf && image.mode != PixelMode::rgb ? converted : image;
  switch (options.resize_mode) {
    case ResizeMode::shortest: {
      const int resize_to = options.resize_size != 0 ? options.resize_size : n;
      const auto [width, height] = image::clip_resize_size(source.width, source.height, resize_to);
      const auto offset = hf ? image::hf_center_crop_offset : image::center_crop_offset;
      // Only the centre crop of the resized image is computed (exactly as the whole
      // resize would give it): a 1 x 42000 image would otherwise become 224 x 9,408,000.
      const image::Window crop{offset(width, n), offset(height, n), n, n};
      return image::to_rgb(image::resize_image(source, width, height, options.interpolation, crop));
    }
    case ResizeMode::squash:
      return image::to_rgb(image::resize_image(source, n, n, options.interpolation));
    case ResizeMode::longest: {
      const auto [width, height] = image::longest_resize_size(source.width, source.height, n);
      if (width <= 0 || height <= 0) {
        throw Error(ErrorCode::invalid_argument,
                    "clip preprocess: resize_mode longest makes a " + image::describe(source) + " image " +
                        std::to_string(width) + "x" + std::to_string(height) + " at size " + std::to_string(n) +
                        " (open_clip's ResizeKeepRatio; Pillow refuses a 0-pixel side too)");
      }
      return image::to_rgb(image::center_crop_or_pad(image::resize_image(source, width, height, options.interpolation), n));
    }
  }
  throw Error(ErrorCode::invalid_argument, "clip preprocess: unknown resize_mode");
}

std::vector<float> clip_preprocess(const Image& image, const PreprocessOptions& options) {
  const int n = options.size;
  const std::vector<uint8_t> rgb = clip_resize_crop_rgb(image, options);
  const size_t plane = static_cast<size_t>(n) * n;
  std::vector<float> chw(3 * plane);
  const bool hf = options.order == PreprocessOrder::transformers;
  for (int ch = 0; ch < 3; ++ch) {
    const float mean = options.mean[ch], std = options.std[ch];
    float* out = chw.data() + ch * plane;
    if (hf) {
      // transformers' rescale: image.astype(np.float64) * scale, then .astype(np.float32);
      // normalize: (image - mean) / std with mean and std as float32 arrays.
      const double factor = options.rescale_factor;
      for (size_t i = 0; i < plane; ++i) {
        const float x = static_cast<float>(static_cast<double>(rgb[i * 3 + ch]) * factor);
        out[i] = (x - mean) / std;
      }
    } else {
      // ToTensor divides by 255 in float32, then Normalize subtracts and divides.
      for (size_t i = 0; i < plane; ++i) out[i] = (static_cast<float>(rgb[i * 3 + ch]) / 255.0f - mean) / std;
    }
  }
  return chw;
}

}  // namespace clipkit
