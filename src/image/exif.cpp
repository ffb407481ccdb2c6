// image/exif.cpp — EXIF Orientation parsing (IFD0 only, as Pillow's getexif() reads
// it for exif_transpose) and the eight pixel transpositions.
#include "image/exif.hpp"

#include <cstring>

namespace clipkit::image {
namespace {

class TiffReader {
 public:
  TiffReader(std::span<const uint8_t> bytes, bool big_endian)
      : bytes_(bytes), big_endian_(big_endian) {}
  bool u16(size_t at, uint32_t* out) const {
    if (at > bytes_.size() || bytes_.size() - at < 2) return false;
    const uint32_t a = bytes_[at], b = bytes_[at + 1];
    *out = big_endian_ ? (a << 8 | b) : (b << 8 | a);
    return true;
  }
  bool u32(size_t at, uint32_t* out) const {
    uint32_t hi = 0, lo = 0;
    if (!u16(at, big_endian_ ? &hi : &lo) || !u16(at + 2, big_endian_ ? &lo : &hi)) return false;
    *out = hi << 16 | lo;
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  bool big_endian_;
};

}  // namespace

int exif_orientation(std::span<const uint8_t> exif) {
  if (exif.size() >= 6 && std::memcmp(exif.data(), "Exif\0\0", 6) == 0) exif = exif.subspan(6);
  if (exif.size() < 8) return 0;
  bool big_endian;
  if (exif[0] == 'I' && exif[1] == 'I') {
    big_endian = false;
  } else if (exif[0] == 'M' && exif[1] == 'M') {
    big_endian = true;
  } else {
    return 0;
  }
  const TiffReader r(exif, big_endian);
  uint32_t magic = 0, ifd = 0, count = 0;
  if (!r.u16(2, &magic) || magic != 42 || !r.u32(4, &ifd) || !r.u16(ifd, &count)) return 0;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t entry = static_cast<size_t>(ifd) + 2 + static_cast<size_t>(i) * 12;
    uint32_t tag = 0, type = 0, n = 0, value = 0;
    if (!r.u16(entry, &tag) || !r.u16(entry + 2, &type) || !r.u32(entry + 4, &n)) return 0;
    if (tag != 0x0112) continue;
    if (n != 1) return 0;
    if (type == 3) {  // SHORT, left-justified in the value field
      if (!r.u16(entry + 8, &value)) return 0;
    } else if (type == 4) {  // LONG
      if (!r.u32(entry + 8, &value)) return 0;
    } else {
      return 0;
    }
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
