// fuzz/fuzz_image.hpp — the body shared by the per-format image targets (fuzz_png.cpp,
// fuzz_jpeg.cpp, ...): decode with a small pixel cap, check the decoded image is
// self-consistent, then run what decode_image_memory and CLIP preprocessing do next
// (EXIF orientation, conversion to RGB, resize + crop) on it.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     return clipkit::fuzz::decode_and_use(data, size, clipkit::image::decode_png, "fuzz.png");
//   }
#pragma once

#include "clipkit/image.hpp"
#include "fuzz_support.hpp"
#include "image/convert.hpp"
#include "image/decoders.hpp"
#include "image/exif.hpp"
#include "image/transform.hpp"

namespace clipkit::fuzz {

// 256 × 256: enough for every code path, small enough for thousands of runs a second
// (a decoder allocates and clears the whole image before it reads the pixel data).
inline constexpr uint64_t kMaxFuzzPixels = uint64_t{1} << 16;

using Decoder = image::DecodedImage (*)(std::span<const uint8_t>, const std::string&, const DecodeOptions&);

inline void check_image(const Image& img) {
  FUZZ_CHECK(img.width > 0 && img.height > 0);
  FUZZ_CHECK(static_cast<uint64_t>(img.width) * static_cast<uint64_t>(img.height) <= kMaxFuzzPixels);
  FUZZ_CHECK(img.pixels.size() ==
             static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * static_cast<size_t>(channels(img.mode)));
  if (img.mode == PixelMode::palette) FUZZ_CHECK(img.palette.size() == 256);
}

inline int decode_and_use(const uint8_t* data, size_t size, Decoder decode, const char* name) {
  run([&] {
    DecodeOptions options;
    options.max_pixels = kMaxFuzzPixels;
    options.apply_exif_orientation = true;
    const image::DecodedImage decoded = decode(bytes(data, size), name, options);
    check_image(decoded.image);
    const int orientation = image::exif_orientation(decoded.exif);
    FUZZ_CHECK(orientation >= 0 && orientation <= 8);
    const Image upright = image::apply_orientation(decoded.image, orientation);
    check_image(upright);
    const std::vector<uint8_t> rgb = image::to_rgb(upright);
    FUZZ_CHECK(rgb.size() == static_cast<size_t>(upright.width) * static_cast<size_t>(upright.height) * 3);
    // Preprocessing resizes the shorter side to the model's size first, so a thin image
    // (1 x 200000, a 100-byte PNG) becomes a huge one; that is reported (issue 15), not
    // re-found here on every run: only shapes whose resize stays small are preprocessed.
    const auto [resized_width, resized_height] = image::clip_resize_size(upright.width, upright.height, 8);
    if (int64_t{resized_width} * resized_height <= (int64_t{1} << 16)) {
      const std::vector<uint8_t> crop = clip_resize_crop_rgb(upright, 8);
      FUZZ_CHECK(crop.size() == 8 * 8 * 3);
    }
    // SigLIP's transforms (squash, longest + pad, Hugging Face's convert-first order, the
    // bilinear filter) never make an image larger than its output: always run them.
    struct Variant {
      ResizeMode mode;
      Interpolation interpolation;
      PreprocessOrder order;
    };
    for (const Variant v : {Variant{ResizeMode::squash, Interpolation::bilinear, PreprocessOrder::torchvision},
                            Variant{ResizeMode::longest, Interpolation::bicubic, PreprocessOrder::torchvision},
                            Variant{ResizeMode::squash, Interpolation::bicubic, PreprocessOrder::transformers}}) {
      PreprocessOptions o;
      o.size = 8;
      o.resize_mode = v.mode;
      o.interpolation = v.interpolation;
      o.order = v.order;
      try {
        FUZZ_CHECK(clip_resize_crop_rgb(upright, o).size() == 8 * 8 * 3);
      } catch (const Error& e) {
        // Only longest refuses an image: one whose shorter side would round to 0 pixels.
        FUZZ_CHECK(v.mode == ResizeMode::longest && e.code() == ErrorCode::invalid_argument);
      }
    }
  });
  return 0;
}

}  // namespace clipkit::fuzz
