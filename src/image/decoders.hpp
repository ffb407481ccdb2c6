// image/decoders.hpp — the per-format decoders behind clipkit::decode_image_memory.
//
//   DecodedImage d = decode_png(bytes, "cat.png", options);
//   // d.image holds the pixels in the file's own mode; d.exif the raw EXIF (TIFF) bytes
//
// Each decoder checks width*height against options.max_pixels before it allocates
// pixels, and throws clipkit::Error naming the file for truncated or malformed input.
// EXIF orientation is not applied here (decode_image_memory does that).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clipkit/image.hpp"

namespace clipkit::image {

struct DecodedImage {
  Image image;
  std::vector<uint8_t> exif;  // TIFF-structured EXIF payload ("II*\0..."/"MM\0*..."), may be empty
};

enum class ImageFormat { unknown, jpeg, png, webp, bmp, gif };

// Guesses the format from the first bytes (magic numbers), never from a file name.
ImageFormat sniff_format(std::span<const uint8_t> bytes);

DecodedImage decode_jpeg(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeOptions& options);
DecodedImage decode_png(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options);
DecodedImage decode_webp(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeOptions& options);
DecodedImage decode_bmp(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options);
DecodedImage decode_gif(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options);

// Throws resource_exhausted when width*height exceeds options.max_pixels, and
// corrupt_data when either side is not positive. Call before allocating pixels.
void check_dimensions(int64_t width, int64_t height, const std::string& name,
                      const DecodeOptions& options);

// A palette of 256 RGBA entries initialised as Pillow does (a gray ramp, opaque), so
// that indices past the file's palette map the way Pillow maps them.
std::vector<std::array<uint8_t, 4>> ramp_palette();

}  // namespace clipkit::image
