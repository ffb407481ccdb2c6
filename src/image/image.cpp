// image/image.cpp — the public entry points of the image layer: mode helpers, format
// sniffing, and decode_image_file / decode_image_memory dispatching to the decoders.
#include <climits>
#include <cstdint>
#include <fstream>
#include <new>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "clipkit/image.hpp"
#include "image/decoders.hpp"
#include "image/exif.hpp"

namespace clipkit {

int channels(PixelMode mode) {
  switch (mode) {
    case PixelMode::bilevel: return 1;
    case PixelMode::gray: return 1;
    case PixelMode::gray_alpha: return 2;
    case PixelMode::palette: return 1;
    case PixelMode::rgb: return 3;
    case PixelMode::rgba: return 4;
    case PixelMode::cmyk: return 4;
  }
  return 0;
}

const char* to_string(PixelMode mode) {
  switch (mode) {
    case PixelMode::bilevel: return "1";
    case PixelMode::gray: return "L";
    case PixelMode::gray_alpha: return "LA";
    case PixelMode::palette: return "P";
    case PixelMode::rgb: return "RGB";
    case PixelMode::rgba: return "RGBA";
    case PixelMode::cmyk: return "CMYK";
  }
  return "?";
}

namespace image {

void check_dimensions(int64_t width, int64_t height, const std::string& name,
                      const DecodeOptions& options) {
  if (width <= 0 || height <= 0) {
    throw Error(ErrorCode::corrupt_data, name + ": invalid image size " +
                                             std::to_string(width) + "x" + std::to_string(height));
  }
  // Both sides are below 2^32 in every format we read, so the product fits in 64 bits.
  const uint64_t pixels = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  if (pixels > options.max_pixels || width > INT32_MAX / 4 || height > INT32_MAX / 4) {
    throw Error(ErrorCode::resource_exhausted,
                name + ": image of " + std::to_string(width) + "x" + std::to_string(height) +
                    " = " + std::to_string(pixels) + " pixels exceeds max_pixels " +
                    std::to_string(options.max_pixels));
  }
}

std::vector<std::array<uint8_t, 4>> ramp_palette() {
  std::vector<std::array<uint8_t, 4>> palette(256);
  for (int i = 0; i < 256; ++i) {
    const auto v = static_cast<uint8_t>(i);
    palette[i] = {v, v, v, 255};
  }
  return palette;
}

ImageFormat sniff_format(std::span<const uint8_t> b) {
  auto starts = [&](std::initializer_list<uint8_t> magic, size_t at = 0) {
    if (b.size() < at + magic.size()) return false;
    size_t i = at;
    for (uint8_t m : magic) {
      if (b[i++] != m) return false;
    }
    return true;
  };
  if (starts({0xFF, 0xD8, 0xFF})) return ImageFormat::jpeg;
  if (starts({0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) return ImageFormat::png;
  if (starts({'R', 'I', 'F', 'F'}) && starts({'W', 'E', 'B', 'P'}, 8)) return ImageFormat::webp;
  if (starts({'B', 'M'})) return ImageFormat::bmp;
  if (starts({'G', 'I', 'F', '8', '7', 'a'}) || starts({'G', 'I', 'F', '8', '9', 'a'})) {
    return ImageFormat::gif;
  }
  return ImageFormat::unknown;
}

}  // namespace image

Image decode_image_memory(std::span<const uint8_t> bytes, const std::string& name,
                          const DecodeOptions& options) {
  using image::ImageFormat;
  if (bytes.empty()) throw Error(ErrorCode::corrupt_data, name + ": empty file");
  image::DecodedImage decoded;
  try {
    switch (image::sniff_format(bytes)) {
      case ImageFormat::jpeg: decoded = image::decode_jpeg(bytes, name, options); break;
      case ImageFormat::png: decoded = image::decode_png(bytes, name, options); break;
      case ImageFormat::webp: decoded = image::decode_webp(bytes, name, options); break;
      case ImageFormat::bmp: decoded = image::decode_bmp(bytes, name, options); break;
      case ImageFormat::gif: decoded = image::decode_gif(bytes, name, options); break;
      case ImageFormat::unknown:
        throw Error(ErrorCode::unsupported,
                    name + ": unknown image format (expected JPEG, PNG, WebP, BMP or GIF)");
    }
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::resource_exhausted, name + ": out of memory while decoding");
  }
  if (options.apply_exif_orientation && !decoded.exif.empty()) {
    const int orientation = image::exif_orientation(decoded.exif);
    if (orientation > 1) return image::apply_orientation(decoded.image, orientation);
  }
  return std::move(decoded.image);
}

Image decode_image_file(const std::filesystem::path& path, const DecodeOptions& options) {
  const std::string name = path.string();
  constexpr size_t kMaxImageFileBytes = size_t{1} << 30;
  const std::vector<uint8_t> bytes = core::read_file(path, kMaxImageFileBytes, "an image file");
  return decode_image_memory(bytes, name, options);
}

}  // namespace clipkit
