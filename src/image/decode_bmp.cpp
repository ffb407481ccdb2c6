// image/decode_bmp.cpp — a small checked reader for Windows/OS2 bitmaps: 1/4/8-bit
// palette (uncompressed, RLE8 or RLE4), 16-bit (X1R5G5B5, or BI_BITFIELDS 5-6-5 / 5-5-5),
// 24-bit, 32-bit (BI_RGB, or BI_BITFIELDS with byte-aligned masks), bottom-up or
// top-down. Modes and pixels follow Pillow 9.4's BmpImagePlugin: a palette that is
// exactly the gray ramp becomes "L" (8-bit and RLE) or "1" (1-bit black/white), 16-bit
// is "RGB" with each channel scaled as v * 255 / max (integer division), 32-bit BI_RGB
// is "RGB" (the fourth byte ignored), bitfields with an alpha mask give "RGBA".
#include <algorithm>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

using core::ByteReader;

constexpr uint32_t kRaw = 0;
constexpr uint32_t kRle8 = 1;
constexpr uint32_t kRle4 = 2;
constexpr uint32_t kBitfields = 3;

// The byte (0..3) of a little-endian pixel that `mask` selects, or -1 when the mask
// is not one whole byte.
int mask_byte(uint32_t mask) {
  for (int k = 0; k < 4; ++k) {
    if (mask == 0xFFu << (8 * k)) return k;
  }
  return -1;
}

// Expands RLE8/RLE4 data starting at `at` into one index byte per pixel, rows in file
// order, as Pillow 9.4's BmpRleDecoder does, quirks included so that pixels match:
//  - a run that would pass the end of the row is cut there, but an absolute run is
//    not (it wraps into the next row);
//  - end of line pads with zeros to the next multiple of the width (nothing when the
//    row is already full, so an empty line adds no row);
//  - absolute runs are padded to an even position in the file, not in the pixel data;
//  - a delta escape (00 02 dx dy) consumes two more bytes and takes those as dx, dy;
//  - an absolute RLE4 run of n pixels reads n / 2 bytes (an odd n loses a pixel).
// (Pillow 10 fixed the last two.) The data ends at an end-of-bitmap escape or at the
// end of the file; fewer than width*height pixels is an error, as in Pillow.
std::vector<uint8_t> expand_rle(const ByteReader& r, uint64_t at, bool rle4, int64_t width,
                                int64_t height) {
  const uint64_t total = static_cast<uint64_t>(width) * static_cast<uint64_t>(height);
  const uint64_t row = static_cast<uint64_t>(width);
  std::vector<uint8_t> data;
  // Only the first `total` indices are used, so nothing past them is stored; the vector
  // grows with the input (at most 255 * width + 255 bytes per four input bytes).
  auto append = [&](uint8_t value, uint64_t count) {
    data.insert(data.end(), std::min<uint64_t>(count, total - data.size()), value);
  };
  int64_t x = 0;
  while (data.size() < total && r.remaining(at) >= 2) {
    const uint8_t count = r.u8_at(at), value = r.u8_at(at + 1);
    at += 2;
    if (count > 0) {  // encoded run
      const int64_t n = x + count > width ? std::max<int64_t>(0, width - x) : count;
      if (rle4) {
        for (int64_t i = 0; i < n && data.size() < total; ++i) {
          data.push_back(i % 2 == 0 ? value >> 4 : value & 0x0F);
        }
      } else {
        append(value, static_cast<uint64_t>(n));
      }
      x += n;
    } else if (value == 0) {  // end of line
      append(0, (row - data.size() % row) % row);
      x = 0;
    } else if (value == 1) {  // end of bitmap
      break;
    } else if (value == 2) {  // delta
      if (r.remaining(at) < 2) break;
      if (r.remaining(at + 2) < 2) {
        throw Error(ErrorCode::corrupt_data,
                    r.name() + ": truncated RLE delta escape at byte " + std::to_string(at - 2));
      }
      const uint64_t right = r.u8_at(at + 2), up = r.u8_at(at + 3);
      at += 4;
      const uint64_t length = data.size() + right + up * row;
      append(0, right + up * row);
      x = static_cast<int64_t>(length % row);
    } else {  // absolute run of `value` pixels
      const uint64_t wanted = rle4 ? value / 2 : value;
      const uint64_t present = std::min<uint64_t>(wanted, r.remaining(at));
      const uint8_t* run = present ? r.bytes_at(at, present, "RLE run").data() : nullptr;
      for (uint64_t i = 0; i < present; ++i) {
        if (rle4) {
          append(run[i] >> 4, 1);
          append(run[i] & 0x0F, 1);
        } else {
          append(run[i], 1);
        }
      }
      at += present;
      if (present < wanted) break;
      x += value;
      at += at % 2;
    }
  }
  if (data.size() < total) {
    throw Error(ErrorCode::corrupt_data,
                r.name() + ": truncated RLE BMP (the data gives " + std::to_string(data.size()) +
                    " of " + std::to_string(total) + " pixels)");
  }
  return data;
}

}  // namespace

DecodedImage decode_bmp(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options) {
  const ByteReader r(bytes, name);
  r.require(0, 18, "BMP header");
  uint64_t offset = r.u32le_at(10);
  const uint32_t header_size = r.u32le_at(14);
  r.require(14, header_size, "BMP info header");

  int64_t width = 0, height = 0;
  bool top_down = false;
  uint32_t bits = 0, compression = kRaw, colors = 0, palette_entry = 4;
  uint32_t masks[4] = {0xFF0000, 0xFF00, 0xFF, 0};
  uint64_t after_header = 14 + uint64_t{header_size};
  if (header_size == 12) {  // OS/2 1.x
    width = r.u16le_at(18);
    height = r.u16le_at(20);
    bits = r.u16le_at(24);
    palette_entry = 3;
  } else if (header_size == 40 || header_size == 52 || header_size == 56 ||
             header_size == 64 || header_size == 108 || header_size == 124) {
    width = static_cast<int32_t>(r.u32le_at(18));
    const auto raw_height = static_cast<int32_t>(r.u32le_at(22));
    top_down = raw_height < 0;
    height = top_down ? -int64_t{raw_height} : int64_t{raw_height};
    bits = r.u16le_at(28);
    compression = r.u32le_at(30);
    colors = r.u32le_at(46);
    if (compression == kBitfields) {
      if (header_size >= 52) {
        for (int i = 0; i < 4; ++i) masks[i] = header_size >= 56 || i < 3 ? r.u32le_at(54 + 4 * i) : 0;
      } else {  // masks follow a 40-byte header; the fourth is not an alpha mask
        for (int i = 0; i < 3; ++i) masks[i] = r.u32le_at(after_header + 4 * i);
        masks[3] = 0;
        after_header += 12;
      }
    }
  } else {
    throw Error(ErrorCode::unsupported,
                name + ": unsupported BMP header size " + std::to_string(header_size));
  }
  if (compression != kRaw && compression != kRle8 && compression != kRle4 &&
      compression != kBitfields) {
    throw Error(ErrorCode::unsupported,
                name + ": unsupported BMP compression " + std::to_string(compression));
  }
  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    throw Error(ErrorCode::unsupported, name + ": unsupported BMP depth " + std::to_string(bits));
  }
  const bool rle = compression == kRle8 || compression == kRle4;
  if (rle && bits > 8) {  // Pillow has no raw mode to put palette indices into RGB
    throw Error(ErrorCode::unsupported, name + ": unsupported BMP: RLE compression with " +
                                            std::to_string(bits) + "-bit pixels");
  }
  check_dimensions(width, height, name, options);

  DecodedImage result;
  Image& image = result.image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  int byte_of[4] = {2, 1, 0, -1};  // where R, G, B, A sit in a little-endian pixel
  int green_bits = 5;              // 16-bit pixels: 5-5-5 or 5-6-5
  if (bits <= 8) {
    if (colors == 0) colors = 1u << bits;
    if (compression == kBitfields || colors > 65536) {
      throw Error(ErrorCode::unsupported,
                  name + ": unsupported BMP: " +
                      (colors > 65536 ? "palette of " + std::to_string(colors) + " colours"
                                      : std::string("bitfields with ") + std::to_string(bits) +
                                            "-bit pixels"));
    }
    // Pillow reads the palette at the offset field when it points right after the
    // header, and assumes 4-byte entries there.
    if (offset == 14 + uint64_t{header_size}) offset += 4 * uint64_t{colors};
    // Pillow takes the palette entries that are present, and refuses more than 256
    // (unless they are a gray ramp, which it drops anyway).
    const uint64_t palette_bytes =
        std::min<uint64_t>(uint64_t{colors} * palette_entry, r.remaining(after_header));
    const uint64_t entries = palette_bytes / palette_entry;
    const uint8_t* pal = palette_bytes ? r.bytes_at(after_header, palette_bytes, "BMP palette").data()
                                       : nullptr;
    bool gray_ramp = true;
    for (uint32_t i = 0; i < colors && gray_ramp; ++i) {
      const uint64_t expected = colors == 2 ? (i == 0 ? 0 : 255) : i & 0xFF;
      gray_ramp = uint64_t{i} * palette_entry + 3 <= palette_bytes;
      if (gray_ramp) {
        const uint8_t* e = pal + uint64_t{i} * palette_entry;  // B, G, R[, reserved]
        gray_ramp = e[0] == expected && e[1] == expected && e[2] == expected;
      }
    }
    image.palette = ramp_palette();
    for (uint64_t i = 0; i < entries && i < 256; ++i) {
      const uint8_t* e = pal + i * palette_entry;
      image.palette[i] = {e[2], e[1], e[0], 255};
    }
    // Pillow drops a pure gray-ramp palette; its uncompressed 4-bit case would misread
    // the data, so those images keep the palette here (RLE gives one index per byte,
    // which Pillow reads correctly as "L").
    if (gray_ramp && colors == 2) {
      if (rle) {  // Pillow's RLE decoder has no raw mode for "1"
        throw Error(ErrorCode::unsupported,
                    name + ": unsupported BMP: RLE compression with a black-and-white palette");
      }
      image.mode = bits == 1 ? PixelMode::bilevel : PixelMode::palette;
    } else if (gray_ramp && (bits == 8 || rle)) {
      image.mode = PixelMode::gray;
    } else {
      image.mode = PixelMode::palette;
    }
    if (image.mode != PixelMode::palette) {
      image.palette.clear();
    } else if (entries > 256) {
      throw Error(ErrorCode::unsupported, name + ": unsupported BMP: palette of " +
                                              std::to_string(entries) + " colours (at most 256)");
    }
    if (offset == 0) offset = after_header + palette_bytes;
  } else {
    image.mode = PixelMode::rgb;
    if (bits == 16) {
      // Pillow knows two 16-bit layouts: "BGR;15" (also BI_RGB's) and "BGR;16".
      const bool rgb565 = masks[0] == 0xF800 && masks[1] == 0x7E0 && masks[2] == 0x1F;
      const bool rgb555 = masks[0] == 0x7C00 && masks[1] == 0x3E0 && masks[2] == 0x1F;
      if (compression == kBitfields && !rgb565 && !rgb555) {
        throw Error(ErrorCode::unsupported, name + ": unsupported BMP bitfields layout");
      }
      green_bits = compression == kBitfields && rgb565 ? 6 : 5;
    } else if (compression == kBitfields) {
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

  if (rle) {
    std::vector<uint8_t> indices = expand_rle(r, offset, compression == kRle4, width, height);
    if (top_down) {
      image.pixels = std::move(indices);
    } else {
      image.pixels.resize(indices.size());
      const size_t w = static_cast<size_t>(width);
      for (int y = 0; y < image.height; ++y) {
        std::copy_n(indices.data() + w * (image.height - 1 - y), w, image.pixels.data() + w * y);
      }
    }
    return result;
  }

  const uint64_t stride = ((uint64_t(width) * bits + 31) >> 3) & ~uint64_t{3};
  // The padding of the last row in the file may be missing (Pillow does not read it).
  const uint64_t last_row = (uint64_t(width) * bits + 7) >> 3;
  const uint8_t* data =
      r.bytes_at(offset, stride * uint64_t(height - 1) + last_row, "BMP pixel data").data();
  const int c = channels(image.mode);
  image.pixels.resize(static_cast<size_t>(width) * height * c);
  const int bytes_per_pixel = static_cast<int>(bits / 8);
  const int green_max = (1 << green_bits) - 1;
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
      } else if (bits == 16) {
        const int v = row[2 * x] | row[2 * x + 1] << 8;
        out[3 * x] = static_cast<uint8_t>((v >> (5 + green_bits) & 31) * 255 / 31);
        out[3 * x + 1] = static_cast<uint8_t>((v >> 5 & green_max) * 255 / green_max);
        out[3 * x + 2] = static_cast<uint8_t>((v & 31) * 255 / 31);
      } else {
        const uint8_t* p = row + static_cast<size_t>(x) * bytes_per_pixel;
        for (int ch = 0; ch < c; ++ch) out[x * c + ch] = p[byte_of[ch]];
      }
    }
  }
  return result;
}

}  // namespace clipkit::image
