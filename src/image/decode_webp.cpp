// image/decode_webp.cpp — WebP (still images; the first frame of an animation is not
// supported) through libwebp's default decoder, as Pillow 9.4 decodes it: "RGBA" when
// the bitstream has alpha, "RGB" otherwise. The EXIF chunk of an extended (VP8X) file
// is returned for orientation.
#include <algorithm>
#include <cstring>

#include <webp/decode.h>

#include "clipkit/error.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

uint32_t le32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

// Walks the RIFF chunks (bounds-checked) and copies the payload of "EXIF", if any.
std::vector<uint8_t> find_exif_chunk(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12) return {};
  const size_t riff_end = std::min<size_t>(bytes.size(), size_t{le32(&bytes[4])} + 8);
  size_t at = 12;
  while (at + 8 <= riff_end) {
    const uint32_t size = le32(&bytes[at + 4]);
    if (size > riff_end - at - 8) break;
    if (std::memcmp(&bytes[at], "EXIF", 4) == 0) {
      return {bytes.begin() + at + 8, bytes.begin() + at + 8 + size};
    }
    at += 8 + size + (size & 1);
  }
  return {};
}

}  // namespace

DecodedImage decode_webp(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) {
    throw Error(ErrorCode::corrupt_data, name + ": truncated WebP header");
  }
  if (status != VP8_STATUS_OK) {
    throw Error(ErrorCode::corrupt_data,
                name + ": malformed WebP header (status " + std::to_string(status) + ")");
  }
  if (features.has_animation) {
    throw Error(ErrorCode::unsupported, name + ": animated WebP is not supported");
  }
  check_dimensions(features.width, features.height, name, options);

  DecodedImage result;
  Image& image = result.image;
  image.width = features.width;
  image.height = features.height;
  image.mode = features.has_alpha ? PixelMode::rgba : PixelMode::rgb;
  const int c = channels(image.mode);
  const size_t stride = static_cast<size_t>(image.width) * c;
  image.pixels.resize(stride * image.height);
  const uint8_t* ok =
      features.has_alpha
          ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), image.pixels.data(),
                               image.pixels.size(), static_cast<int>(stride))
          : WebPDecodeRGBInto(bytes.data(), bytes.size(), image.pixels.data(),
                              image.pixels.size(), static_cast<int>(stride));
  if (ok == nullptr) throw Error(ErrorCode::corrupt_data, name + ": corrupt or truncated WebP");
  result.exif = find_exif_chunk(bytes);
  return result;
}

}  // namespace clipkit::image
