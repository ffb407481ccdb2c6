// image/convert.hpp — Pillow 9.4's mode conversions that CLIP preprocessing needs:
// any mode -> "RGB", and RGBA/LA <-> premultiplied RGBa/La around resizing.
//
//   std::vector<uint8_t> rgb = to_rgb(image);   // width*height*3 bytes
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "clipkit/image.hpp"

namespace clipkit::image {

// image.convert("RGB"): "1"/"L"/"LA" replicate the gray value, "P" looks up the
// palette (alpha dropped), "RGBA" drops alpha, "CMYK" uses Pillow's
// nk - nk*c/255 with nk = 255 - k (rounded as Pillow's MULDIV255).
std::vector<uint8_t> to_rgb(const Image& image);

// RGBA -> RGBa (or LA -> La with channels = 2): colour = MULDIV255(colour, alpha),
// i.e. t = c*a + 128; ((t >> 8) + t) >> 8.
std::vector<uint8_t> premultiply_alpha(std::span<const uint8_t> pixels, int channels);

// RGBa -> RGBA (or La -> LA), in place: colour = min(255, 255*colour / alpha) with
// integer division, unchanged where alpha is 0 or 255.
void unpremultiply_alpha(std::span<uint8_t> pixels, int channels);

}  // namespace clipkit::image
