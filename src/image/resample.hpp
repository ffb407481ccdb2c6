// image/resample.hpp — Pillow 9.4's Image.resize, bit for bit, for 8-bit images, with
// its BICUBIC and BILINEAR filters.
//
//   // a 640x427 RGB image to 335x224, as img.resize((335, 224), Image.BICUBIC)
//   std::vector<uint8_t> out = resample_bicubic(pixels, 640, 427, 3, 335, 224);
//   // the same with Image.BILINEAR, as SigLIP checkpoints may declare
//   out = resample(pixels, 640, 427, 3, 335, 224, Interpolation::bilinear);
//
// Pixels are row-major and interleaved (HWC) with `channels` bytes per pixel (1..4);
// each channel is filtered on its own, as Pillow does. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "clipkit/image.hpp"

namespace clipkit::image {

// A rectangle of a resize's output (x, y: its top-left corner). The windowed overloads
// compute only those output pixels — each is exactly the pixel the whole resize would
// give there — so CLIP's resize-then-centre-crop costs the crop, not the resize (a
// 1 x 42000 image would otherwise be resized to 224 x 9,408,000 first).
struct Window {
  int x = 0, y = 0, width = 0, height = 0;
};

// ImagingResample: a horizontal then a vertical pass, each with support
// filter_support*max(scale, 1) — bicubic (a = -0.5) has support 2, bilinear (the
// triangle 1 - |x|) support 1 — coefficients normalised to sum 1 and then turned into
// 22-bit fixed point with rounding; sums start at half a unit and are clipped to
// 0..255. A pass whose size does not change is skipped, as Pillow skips it.
std::vector<uint8_t> resample(std::span<const uint8_t> pixels, int width, int height, int channels,
                              int out_width, int out_height, Interpolation interpolation);
std::vector<uint8_t> resample(std::span<const uint8_t> pixels, int width, int height, int channels,
                              int out_width, int out_height, Interpolation interpolation, const Window& window);
// resample(..., Interpolation::bicubic[, window]).
std::vector<uint8_t> resample_bicubic(std::span<const uint8_t> pixels, int width, int height,
                                      int channels, int out_width, int out_height);
std::vector<uint8_t> resample_bicubic(std::span<const uint8_t> pixels, int width, int height,
                                      int channels, int out_width, int out_height, const Window& window);

// Pillow's NEAREST resize (ImagingScaleAffine): the source column of output x is
// trunc((x + 0.5) * in/out) with the position accumulated in double as Pillow does.
std::vector<uint8_t> resize_nearest(std::span<const uint8_t> pixels, int width, int height,
                                    int channels, int out_width, int out_height);
std::vector<uint8_t> resize_nearest(std::span<const uint8_t> pixels, int width, int height,
                                    int channels, int out_width, int out_height, const Window& window);

// Image.resize((out_width, out_height), BICUBIC or BILINEAR) with Pillow's per-mode
// rules: "1" and "P" use nearest neighbour whatever the filter; "LA"/"RGBA" are resized
// premultiplied ("La"/"RGBa") and converted back; "L", "RGB", "CMYK" directly. Same size
// returns a copy. Throws Error(invalid_argument) for non-positive sizes.
Image resize_image(const Image& image, int out_width, int out_height, Interpolation interpolation);
// The `window` of that resize (an image of window.width x window.height); invalid_argument
// when the window is not inside out_width x out_height.
Image resize_image(const Image& image, int out_width, int out_height, Interpolation interpolation,
                   const Window& window);
// The same with BICUBIC (CLIP's filter).
Image resize_image(const Image& image, int out_width, int out_height);
Image resize_image(const Image& image, int out_width, int out_height, const Window& window);

}  // namespace clipkit::image
