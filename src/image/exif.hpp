// image/exif.hpp — the EXIF Orientation tag and the transposition it asks for, as
// Pillow's ImageOps.exif_transpose applies it.
//
//   int o = exif_orientation(tiff_bytes);       // 1..8, or 0 when absent/unreadable
//   Image upright = apply_orientation(img, o);  // o in 2..8 rotates/flips; else a copy
#pragma once

#include <cstdint>
#include <span>

#include "clipkit/image.hpp"

namespace clipkit::image {

// Reads tag 0x0112 from IFD0 of a TIFF-structured EXIF block (an optional leading
// "Exif\0\0" is skipped). Every read is bounds-checked; a malformed block gives 0
// rather than an error, since a broken EXIF must not make a good image unreadable.
int exif_orientation(std::span<const uint8_t> exif);

// Orientation 2 = mirror, 3 = rotate 180, 4 = flip, 5 = transpose, 6 = rotate 90
// clockwise (Pillow's ROTATE_270), 7 = transverse, 8 = rotate 90 counter-clockwise.
Image apply_orientation(const Image& image, int orientation);

}  // namespace clipkit::image
