// image/convert.cpp — the integer formulas of Pillow's libImaging/Convert.c that CLIP
// preprocessing goes through (checked byte-for-byte against Pillow 9.4 over all inputs
// where the domain is small: every (value, alpha) pair, random CMYK).
#include "image/convert.hpp"

#include "clipkit/error.hpp"

namespace clipkit::image {
namespace {

inline uint8_t muldiv255(unsigned a, unsigned b) {
  const unsigned t = a * b + 128;
  return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}

}  // namespace

std::vector<uint8_t> to_rgb(const Image& image) {
  const size_t n = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  const int c = channels(image.mode);
  if (image.pixels.size() != n * c) {
    throw Error(ErrorCode::invalid_argument,
                "to_rgb: " + std::to_string(image.pixels.size()) + " bytes for a " +
                    std::to_string(image.width) + "x" + std::to_string(image.height) + " " +
                    to_string(image.mode) + " image");
  }
  std::vector<uint8_t> rgb(n * 3);
  const uint8_t* in = image.pixels.data();
  uint8_t* out = rgb.data();
  for (size_t i = 0; i < n; ++i, in += c, out += 3) {
    switch (image.mode) {
      case PixelMode::bilevel:
      case PixelMode::gray:
      case PixelMode::gray_alpha:
        out[0] = out[1] = out[2] = in[0];
        break;
      case PixelMode::palette: {
        if (in[0] >= image.palette.size()) {
          // Pillow's palettes start as a gray ramp; unset entries map to (i, i, i).
          out[0] = out[1] = out[2] = in[0];
        } else {
          const auto& e = image.palette[in[0]];
          out[0] = e[0], out[1] = e[1], out[2] = e[2];
        }
        break;
      }
      case PixelMode::rgb:
      case PixelMode::rgba:
        out[0] = in[0], out[1] = in[1], out[2] = in[2];
        break;
      case PixelMode::cmyk: {
        const unsigned nk = 255u - in[3];
        for (int ch = 0; ch < 3; ++ch) {
          // nk - muldiv255(c, nk) is never negative, so Pillow's CLIP8 is a no-op.
          out[ch] = static_cast<uint8_t>(nk - muldiv255(in[ch], nk));
        }
        break;
      }
    }
  }
  return rgb;
}

std::vector<uint8_t> premultiply_alpha(std::span<const uint8_t> pixels, int channels) {
  std::vector<uint8_t> out(pixels.begin(), pixels.end());
  const int a = channels - 1;
  for (size_t i = 0; i + channels <= out.size(); i += channels) {
    for (int ch = 0; ch < a; ++ch) out[i + ch] = muldiv255(out[i + ch], out[i + a]);
  }
  return out;
}

void unpremultiply_alpha(std::span<uint8_t> pixels, int channels) {
  const int a = channels - 1;
  for (size_t i = 0; i + channels <= pixels.size(); i += channels) {
    const unsigned alpha = pixels[i + a];
    if (alpha == 0 || alpha == 255) continue;
    for (int ch = 0; ch < a; ++ch) {
      const unsigned v = 255u * pixels[i + ch] / alpha;
      pixels[i + ch] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
  }
}

}  // namespace clipkit::image
