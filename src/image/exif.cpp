// image/exif.cpp — EXIF Orientation parsing (IFD0 only, as Pillow's getexif() reads
// it for exif_transpose) and the eight pixel transpositions.
#include "image/exif.hpp"

#include <cstring>

#include "core/byte_reader.hpp"

namespace clipkit::image {

int exif_orientation(std::span<const uint8_t> exif) {
  if (exif.size() >= 6 && std::memcmp(exif.data(), "Exif\0\0", 6) == 0) exif = exif.subspan(6);
  // Orientation is optional: anything malformed means "none" (0), never an error, so
  // every read is checked with has() first.
  const core::ByteReader r(exif, "EXIF");
  if (!r.has(0, 8)) return 0;
  core::Endian endian;
  if (r.u8_at(0) == 'I' && r.u8_at(1) == 'I') {
    endian = core::Endian::little;
  } else if (r.u8_at(0) == 'M' && r.u8_at(1) == 'M') {
    endian = core::Endian::big;
  } else {
    return 0;
  }
  if (r.uint_n_at(2, 2, endian) != 42) return 0;
  const uint64_t ifd = r.uint_n_at(4, 4, endian);
  if (!r.has(ifd, 2)) return 0;
  const uint64_t count = r.uint_n_at(ifd, 2, endian);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t entry = ifd + 2 + i * 12;  // ifd < 2³², count < 2¹⁶: no overflow
    // tag (2), type (2), count (4), then a value field of which SHORT/LONG use 2/4 bytes.
    if (!r.has(entry, 8)) return 0;
    const uint64_t tag = r.uint_n_at(entry, 2, endian), type = r.uint_n_at(entry + 2, 2, endian);
    const uint64_t n = r.uint_n_at(entry + 4, 4, endian);
    if (tag != 0x0112) continue;
    if (n != 1) return 0;
    const size_t width = type == 3 ? 2 : type == 4 ? 4 : 0;  // SHORT, left-justified; LONG
    if (width == 0 || !r.has(entry + 8, width)) return 0;
    const uint64_t value = r.uint_n_at(entry + 8, width, endian);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 0;
  }
  return 0;
}

Image apply_orientation(const Image& image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width, h = image.height, c = channels(image.mode);
  const bool swap = orientation >= 5;
  Image out;
  out.mode = image.mode;
  out.palette = image.palette;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.pixels.resize(image.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      int sx = x, sy = y;  // source pixel of out(x, y), as Pillow's transpose methods map it
      switch (orientation) {
        case 2: sx = w - 1 - x; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        case 8: sx = w - 1 - y; sy = x; break;
      }
      std::memcpy(&out.pixels[(static_cast<size_t>(y) * out.width + x) * c],
                  &image.pixels[(static_cast<size_t>(sy) * w + sx) * c], c);
    }
  }
  return out;
}

}  // namespace clipkit::image
