// image/decode_png.cpp — PNG through libpng, keeping Pillow's modes: 1-bit gray -> "1",
// 2/4/8/16-bit gray -> "L", gray+alpha -> "LA", palette -> "P" (tRNS into the palette's
// alpha), RGB, RGBA.
//
// 16-bit samples become 8-bit by v >> 8 (png_set_strip_16). That is what Pillow does
// for 16-bit RGB/RGBA/LA, and for 16-bit gray — where Pillow instead clips the value to
// 255 — it scales rather than clips (for v = 257*k, as 8->16 bit converters write, both
// v >> 8 and round(v*255/65535) give k exactly).
//
// libpng reports errors by longjmp to png_jmpbuf; every object whose state longjmp
// may cross lives on the heap, and no C++ object is constructed in between.
//
// Before libpng sees the file, walk_chunks checks every chunk length against the bytes
// that remain: libpng allocates (and zeroes) a buffer of the declared length before it
// reads an ancillary chunk, and only warns when the length is over its limit, so a
// 131-byte file declaring a 2 GiB tEXt chunk cost 2 GiB of memory before the "unexpected
// end of file". Likewise the pixel buffer is allocated only when the IDAT bytes present
// could inflate to the image (deflate expands at most 1032:1).
#include <cctype>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>

#include <png.h>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "image/decoders.hpp"

namespace clipkit::image {
namespace {

using core::ByteReader;

struct PngSource {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  uint64_t idat_bytes = 0;  // from walk_chunks
  char message[256] = {};
};

void read_bytes(png_structp png, png_bytep out, png_size_t length) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (src->bytes.size() - src->offset < length) png_error(png, "unexpected end of file");
  std::memcpy(out, src->bytes.data() + src->offset, length);
  src->offset += length;
}

void on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof(src->message), "%s", message);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

// The largest factor by which deflate can expand: a 258-byte match costs at least two
// bits (one-bit length and distance codes).
constexpr uint64_t kMaxDeflateRatio = 1032;

// Checks each chunk's declared length against the bytes that remain (header and CRC
// included) and returns the total length of the IDAT chunks. Stops at IEND, or when less
// than a chunk header remains (libpng then reports the truncation).
uint64_t walk_chunks(const ByteReader& r) {
  uint64_t idat_bytes = 0;
  for (uint64_t at = 8; r.remaining(at) >= 12;) {
    const uint64_t length = r.u32be_at(at);
    std::string type(reinterpret_cast<const char*>(r.bytes_at(at + 4, 4, "PNG chunk type").data()), 4);
    for (char& c : type) {
      if (!std::isalpha(static_cast<unsigned char>(c))) c = '?';
    }
    if (length > r.remaining(at) - 12) {
      throw Error(ErrorCode::corrupt_data,
                  r.name() + ": corrupt or truncated PNG: chunk '" + type + "' at byte " +
                      std::to_string(at) + " declares " + std::to_string(length) +
                      " data bytes but only " + std::to_string(r.remaining(at) - 12) +
                      " remain after its header and CRC");
    }
    if (type == "IDAT") idat_bytes += length;
    if (type == "IEND") break;
    at += 12 + length;
  }
  return idat_bytes;
}

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end_info = nullptr;
  std::vector<png_bytep> rows;
  ~PngState() { png_destroy_read_struct(&png, &info, &end_info); }
};

}  // namespace

DecodedImage decode_png(std::span<const uint8_t> bytes, const std::string& name,
                        const DecodeOptions& options) {
  auto result = std::make_unique<DecodedImage>();
  auto source = std::make_unique<PngSource>();
  source->bytes = bytes;
  source->idat_bytes = walk_chunks(ByteReader(bytes, name));
  auto state = std::make_unique<PngState>();
  state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source.get(), on_error, on_warning);
  if (state->png) state->info = png_create_info_struct(state->png);
  if (state->png) state->end_info = png_create_info_struct(state->png);
  if (!state->png || !state->info || !state->end_info) {
    throw Error(ErrorCode::resource_exhausted, name + ": cannot create PNG reader");
  }
  png_structp png = state->png;
  png_infop info = state->info;

  enum class Failure { none, libpng, too_large, too_little_data, no_memory };
  volatile Failure failure = Failure::none;
  volatile png_uint_32 width = 0, height = 0;
  volatile uint64_t min_pixel_bytes = 0;

  if (setjmp(png_jmpbuf(png)) == 0) {
    png_set_read_fn(png, source.get(), read_bytes);
    // Pillow checks no CRCs of ancillary chunks; libpng's default for critical chunks
    // (error) stays.
    png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_QUIET_USE);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    width = png_get_image_width(png, info);
    height = png_get_image_height(png, info);
    const int color_type = png_get_color_type(png, info);
    const int bit_depth = png_get_bit_depth(png, info);
    const uint64_t count = static_cast<uint64_t>(width) * height;
    // The filtered scanlines hold at least the pixels' bits (interlaced or not).
    const uint64_t pixel_bits = uint64_t{png_get_channels(png, info)} * uint64_t(bit_depth);
    min_pixel_bytes = count > UINT64_MAX / pixel_bits ? UINT64_MAX / 8 : count * pixel_bits / 8;
    if (width == 0 || height == 0 || count > options.max_pixels) {
      failure = Failure::too_large;
    } else if (min_pixel_bytes > kMaxDeflateRatio * source->idat_bytes) {
      failure = Failure::too_little_data;
    } else {
      Image& image = result->image;
      switch (color_type) {
        case PNG_COLOR_TYPE_GRAY:
          image.mode = bit_depth == 1 ? PixelMode::bilevel : PixelMode::gray;
          if (bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);  // 1 -> 0/255, as "1"
          break;
        case PNG_COLOR_TYPE_GRAY_ALPHA: image.mode = PixelMode::gray_alpha; break;
        case PNG_COLOR_TYPE_PALETTE: image.mode = PixelMode::palette; break;
        case PNG_COLOR_TYPE_RGB: image.mode = PixelMode::rgb; break;
        default: image.mode = PixelMode::rgba; break;
      }
      if (bit_depth == 16) png_set_strip_16(png);
      if (bit_depth < 8) png_set_packing(png);  // one palette index per byte
      const int passes = png_set_interlace_handling(png);
      (void)passes;
      png_read_update_info(png, info);
      const int c = channels(image.mode);
      if (png_get_rowbytes(png, info) != static_cast<size_t>(width) * c) {
        png_error(png, "unexpected row size after transformation");
      }
      try {
        if (image.mode == PixelMode::palette) {
          image.palette = ramp_palette();
          png_colorp colors = nullptr;
          int num_colors = 0;
          if (png_get_PLTE(png, info, &colors, &num_colors)) {
            for (int i = 0; i < num_colors && i < 256; ++i) {
              image.palette[i] = {colors[i].red, colors[i].green, colors[i].blue, 255};
            }
          }
          png_bytep alpha = nullptr;
          int num_alpha = 0;
          if (png_get_tRNS(png, info, &alpha, &num_alpha, nullptr) && alpha) {
            for (int i = 0; i < num_alpha && i < 256; ++i) image.palette[i][3] = alpha[i];
          }
        }
        image.pixels.resize(static_cast<size_t>(count) * c);
        state->rows.resize(height);
      } catch (const std::bad_alloc&) {
        failure = Failure::no_memory;
      }
      if (failure == Failure::none) {
        for (png_uint_32 y = 0; y < height; ++y) {
          state->rows[y] = image.pixels.data() + static_cast<size_t>(y) * width * c;
        }
        png_read_image(png, state->rows.data());
        png_read_end(png, state->end_info);
#ifdef PNG_eXIf_SUPPORTED
        png_bytep exif = nullptr;
        png_uint_32 exif_length = 0;
        if (png_get_eXIf_1(png, info, &exif_length, &exif) ||
            png_get_eXIf_1(png, state->end_info, &exif_length, &exif)) {
          try {
            result->exif.assign(exif, exif + exif_length);
          } catch (const std::bad_alloc&) {
            failure = Failure::no_memory;
          }
        }
#endif
      }
    }
  } else {
    failure = Failure::libpng;
  }
  switch (failure) {
    case Failure::none: break;
    case Failure::libpng:
      throw Error(ErrorCode::corrupt_data,
                  name + ": corrupt or truncated PNG: " + std::string(source->message));
    case Failure::too_large:
      check_dimensions(width, height, name, options);
      throw Error(ErrorCode::resource_exhausted, name + ": cannot allocate PNG pixels");
    case Failure::too_little_data:
      throw Error(ErrorCode::corrupt_data,
                  name + ": corrupt or truncated PNG: a " + std::to_string(width) + "x" +
                      std::to_string(height) + " image needs at least " +
                      std::to_string(min_pixel_bytes) + " bytes of pixel data, more than its " +
                      std::to_string(source->idat_bytes) + " bytes of IDAT can inflate to");
    case Failure::no_memory:
      throw Error(ErrorCode::resource_exhausted, name + ": cannot allocate PNG pixels");
  }
  result->image.width = static_cast<int>(width);
  result->image.height = static_cast<int>(height);
  return std::move(*result);
}

}  // namespace clipkit::image
