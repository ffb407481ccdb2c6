// image/decode_bmp.cpp — a small checked reader for uncompressed Windows/OS2 bitmaps:
// 1/4/8-bit palette, 24-bit, 32-bit (BI_RGB, or BI_BITFIELDS with byte-aligned masks),
// bottom-up or top-down. Modes follow Pillow 9.4's BmpImagePlugin: a palette that is
// exactly the gray ramp becomes "L" (8-bit) or "1" (1-bit black/white), 32-bit BI_RGB is
// "RGB" (the fourth byte ignored), bitfields with an alpha mask give "RGBA".
// RLE and 16-bit bitmaps are refused as unsupported.
#include "clipkit/error.hpp"
#include "image/byte_reader.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

constexpr uint32_t kRaw = 0;
constexpr uint32_t kBitfields = 3;

// The byte (0..3) of a little-endian pixel that `mask` selects, or -1 when the mask
// is not one whole byte.
int mask_byte(uint32_t mask) {
  for (int k = 0; k < 4; ++k) {
    if (mask == 0xFFu << (8 * k)) return k;
  }
  return -1;
}

}  // namespace

DecodedImage decode_bmp(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options) {
  const ByteReader r(bytes, name);
  r.require(0, 18, "BMP header");
  uint64_t offset = r.u32_at(10);
  const uint32_t header_size = r.u32_at(14);
  r.require(14, header_size, "BMP info header");

  int64_t width = 0, height = 0;
  bool top_down = false;
  uint32_t bits = 0, compression = kRaw, colors = 0, palette_entry = 4;
  uint32_t masks[4] = {0xFF0000, 0xFF00, 0xFF, 0};
  uint64_t after_header = 14 + uint64_t{header_size};
  if (header_size == 12) {  // OS/2 1.x
    width = r.u16_at(18);
    height = r.u16_at(20);
    bits = r.u16_at(24);
    palette_entry = 3;
  } else if (header_size == 40 || header_size == 52 || header_size == 56 ||
             header_size == 64 || header_size == 108 || header_size == 124) {
    width = static_cast<int32_t>(r.u32_at(18));
    const auto raw_height = static_cast<int32_t>(r.u32_at(22));
    top_down = raw_height < 0;
    height = top_down ? -int64_t{raw_height} : int64_t{raw_height};
    bits = r.u16_at(28);
    compression = r.u32_at(30);
    colors = r.u32_at(46);
    if (compression == kBitfields) {
      if (header_size >= 52) {
        for (int i = 0; i < 4; ++i) masks[i] = header_size >= 56 || i < 3 ? r.u32_at(54 + 4 * i) : 0;
      } else {  // masks follow a 40-byte header; the fourth is not an alpha mask
        for (int i = 0; i < 3; ++i) masks[i] = r.u32_at(after_header + 4 * i);
        masks[3] = 0;
        after_header += 12;
      }
    }
  } else {
    throw Error(ErrorCode::unsupported,
                name + ": unsupported BMP header size " + std::to_string(header_size));
  }
  if (compression != kRaw && compression != kBitfields) {
    throw Error(ErrorCode::unsupported,
                name + ": unsupported BMP compression " + std::to_string(compression));
  }
  if (bits != 1 && bits != 4 && bits != 8 && bits != 24 && bits != 32) {
    throw Error(ErrorCode::unsupported, name + ": unsupported BMP depth " + std::to_string(bits));
  }
  check_dimensions(width, height, name, options);

  DecodedImage result;
  Image& image = result.image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  int byte_of[4] = {2, 1, 0, -1};  // where R, G, B, A sit in a little-endian pixel
  if (bits <= 8) {
    if (colors == 0) colors = 1u << bits;
    if (colors > 256) {
      throw Error(ErrorCode::corrupt_data, name + ": BMP palette of " + std::to_string(colors) +
                                               " colours for a " + std::to_string(bits) +
                                               "-bit image");
    }
    const uint8_t* pal = r.data_at(after_header, uint64_t{colors} * palette_entry, "BMP palette");
    image.palette = ramp_palette();
    bool gray_ramp = true;
    for (uint32_t i = 0; i < colors; ++i) {
      const uint8_t* e = pal + i * palette_entry;  // B, G, R[, reserved]
      image.palette[i] = {e[2], e[1], e[0], 255};
      const uint32_t expected = colors == 2 ? (i == 0 ? 0 : 255) : i;
      if (e[0] != expected || e[1] != expected || e[2] != expected) gray_ramp = false;
    }
    // Pillow drops a pure gray-ramp palette; its 4-bit case would misread the data,
    // so 4-bit images keep the palette here.
    if (gray_ramp && bits == 8) {
      image.mode = PixelMode::gray;
    } else if (gray_ramp && bits == 1 && colors == 2) {
      image.mode = PixelMode::bilevel;
    } else {
      image.mode = PixelMode::palette;
    }
    if (image.mode != PixelMode::palette) image.palette.clear();
    if (offset == 0) offset = after_header + uint64_t{colors} * palette_entry;
  } else {
    image.mode = PixelMode::rgb;
    if (compression == kBitfields) {
      for (int i = 0; i < 4; ++i) byte_of[i] = mask_byte(masks[i]);
      const bool all_zero = !masks[0] && !masks[1] && !masks[2] && !masks[3];
      if (bits == 32 && all_zero) {
        byte_of[0] = 2, byte_of[1] = 1, byte_of[2] = 0, byte_of[3] = 3;  // Pillow: BGRA
      } else if (byte_of[0] < 0 || byte_of[1] < 0 || byte_of[2] < 0 ||
                 (masks[3] != 0 && byte_of[3] < 0) ||
                 (bits == 24 && (masks[0] != 0xFF0000 || masks[1] != 0xFF00 || masks[2] != 0xFF))) {
        throw Error(ErrorCode::unsupported, name + ": unsupported BMP bitfields layout");
      }
      if (bits == 24) byte_of[3] = -1;
      if (byte_of[3] >= 0) image.mode = PixelMode::rgba;
    }
    if (offset == 0) offset = after_header;
  }

  const uint64_t stride = ((uint64_t(width) * bits + 31) >> 3) & ~uint64_t{3};
  const uint8_t* data = r.data_at(offset, stride * uint64_t(height), "BMP pixel data");
  const int c = channels(image.mode);
  image.pixels.resize(static_cast<size_t>(width) * height * c);
  const int bytes_per_pixel = static_cast<int>(bits / 8);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* row = data + stride * uint64_t(top_down ? y : image.height - 1 - y);
    uint8_t* out = image.pixels.data() + static_cast<size_t>(y) * image.width * c;
    for (int x = 0; x < image.width; ++x) {
      if (bits <= 8) {
        const int per_byte = 8 / static_cast<int>(bits);
        const int shift = 8 - static_cast<int>(bits) * (x % per_byte + 1);
        const int index = (row[x / per_byte] >> shift) & ((1 << bits) - 1);
        out[x] = image.mode == PixelMode::bilevel ? static_cast<uint8_t>(index ? 255 : 0)
                                                  : static_cast<uint8_t>(index);
      } else {
        const uint8_t* p = row + static_cast<size_t>(x) * bytes_per_pixel;
        for (int ch = 0; ch < c; ++ch) out[x * c + ch] = p[byte_of[ch]];
      }
    }
  }
  return result;
}

}  // namespace clipkit::image
