// image/resample.cpp — Pillow 9.4's ImagingResample (8 bpc) and nearest-neighbour
// scaling, reproduced for exact pixel parity with CLIP's reference preprocessing.
// Written from a reading of Pillow's libImaging/Resample.c and Geometry.c; the
// arithmetic (float box, double coefficients, 22-bit fixed point) follows it step by
// step because any shortcut changes some output bytes.
#include "image/resample.hpp"

#include <cstring>

#include <algorithm>
#include <cmath>

#include "clipkit/error.hpp"
#include "image/convert.hpp"

namespace clipkit::image {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;

// Pillow's `struct filter` pairs: bicubic_filter (a = -0.5) with support 2, and
// bilinear_filter (the triangle) with support 1.
double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

double bilinear(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

struct Filter {
  double (*weight)(double);
  double support;
};

Filter filter_of(Interpolation interpolation) {
  return interpolation == Interpolation::bilinear ? Filter{bilinear, 1.0} : Filter{bicubic, 2.0};
}

// For each output position: the first input index, how many inputs, and `ksize`
// fixed-point weights (zero-padded).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

// Coefficients of outputs [out0, out0 + out_count) of a resize from in_size to
// out_size; each output's row depends only on its own position, so a window of them is
// exactly the matching rows of the whole table.
Coefficients precompute(int in_size, int out_size, int out0, int out_count, const Filter& filter) {
  // Pillow passes the box as floats: in1 - in0 is a float difference, widened.
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter.support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_count);
  c.count.resize(out_count);
  c.weights.assign(static_cast<size_t>(out_count) * c.ksize, 0);
  std::vector<double> k(c.ksize);
  for (int xx = out0; xx < out0 + out_count; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* out = &c.weights[static_cast<size_t>(xx - out0) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? k[x] / ww : k[x];
      out[x] = v < 0 ? static_cast<int32_t>(-0.5 + v * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx - out0] = xmin;
    c.count[xx - out0] = xmax;
  }
  return c;
}

inline uint8_t clip8(int32_t sum) {
  const int32_t v = sum >> kPrecisionBits;  // arithmetic shift, as in Pillow
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Rows [row0, row0 + rows) of `in` resampled horizontally into `out` (rows x out_w).
void horizontal_pass(const uint8_t* in, int in_w, int channels, int row0, int rows,
                     const Coefficients& c, int out_w, uint8_t* out) {
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in + static_cast<size_t>(row0 + y) * in_w * channels;
    uint8_t* dst = out + static_cast<size_t>(y) * out_w * channels;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.ksize];
      const uint8_t* p = src + static_cast<size_t>(c.first[xx]) * channels;
      for (int ch = 0; ch < channels; ++ch) {
        int32_t sum = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < c.count[xx]; ++x) sum += p[x * channels + ch] * k[x];
        dst[xx * channels + ch] = clip8(sum);
      }
    }
  }
}

// `in` holds rows starting at source row `row0`; writes out_h rows of width w.
void vertical_pass(const uint8_t* in, int w, int channels, int row0, const Coefficients& c,
                   int out_h, uint8_t* out) {
  const size_t stride = static_cast<size_t>(w) * channels;
  for (int yy = 0; yy < out_h; ++yy) {
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.ksize];
    const uint8_t* base = in + static_cast<size_t>(c.first[yy] - row0) * stride;
    uint8_t* dst = out + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; ++i) {
      int32_t sum = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < c.count[yy]; ++y) sum += base[y * stride + i] * k[y];
      dst[i] = clip8(sum);
    }
  }
}

void check_sizes(int width, int height, int channels, int out_width, int out_height,
                 size_t pixel_bytes) {
  if (width <= 0 || height <= 0 || out_width <= 0 || out_height <= 0 || channels < 1 ||
      channels > 4 ||
      pixel_bytes != static_cast<size_t>(width) * static_cast<size_t>(height) * channels) {
    throw Error(ErrorCode::invalid_argument,
                "resize: bad sizes " + std::to_string(width) + "x" + std::to_string(height) +
                    "x" + std::to_string(channels) + " -> " + std::to_string(out_width) + "x" +
                    std::to_string(out_height) + " with " + std::to_string(pixel_bytes) +
                    " bytes");
  }
}

void check_window(const Window& w, int out_width, int out_height) {
  if (w.x < 0 || w.y < 0 || w.width <= 0 || w.height <= 0 || w.x > out_width - w.width ||
      w.y > out_height - w.height) {
    throw Error(ErrorCode::invalid_argument, "resize: window " + std::to_string(w.width) + "x" +
                                                 std::to_string(w.height) + "+" + std::to_string(w.x) + "+" +
                                                 std::to_string(w.y) + " is not inside " +
                                                 std::to_string(out_width) + "x" + std::to_string(out_height));
  }
}

}  // namespace

std::vector<uint8_t> resample(std::span<const uint8_t> pixels, int width, int height, int channels,
                              int out_width, int out_height, Interpolation interpolation, const Window& window) {
  const Filter filter = filter_of(interpolation);
  check_sizes(width, height, channels, out_width, out_height, pixels.size());
  check_window(window, out_width, out_height);
  const bool need_horizontal = out_width != width;
  const bool need_vertical = out_height != height;
  // Rows the vertical pass reads (all of the window's rows when it is skipped).
  int row_first = window.y, row_last = window.y + window.height;
  Coefficients vert;
  if (need_vertical) {
    vert = precompute(height, out_height, window.y, window.height, filter);
    row_first = vert.first[0];
    row_last = vert.first[window.height - 1] + vert.count[window.height - 1];
  }
  // Only rows the vertical pass reads are resampled horizontally (as Pillow does), and
  // only the window's columns.
  const int rows = row_last - row_first;
  std::vector<uint8_t> horizontal(static_cast<size_t>(rows) * window.width * channels);
  if (need_horizontal) {
    const Coefficients horiz = precompute(width, out_width, window.x, window.width, filter);
    horizontal_pass(pixels.data(), width, channels, row_first, rows, horiz, window.width, horizontal.data());
  } else {
    for (int y = 0; y < rows; ++y)
      std::memcpy(&horizontal[static_cast<size_t>(y) * window.width * channels],
                  &pixels[(static_cast<size_t>(row_first + y) * width + window.x) * channels],
                  static_cast<size_t>(window.width) * channels);
  }
  if (!need_vertical) return horizontal;
  std::vector<uint8_t> out(static_cast<size_t>(window.height) * window.width * channels);
  vertical_pass(horizontal.data(), window.width, channels, row_first, vert, window.height, out.data());
  return out;
}

std::vector<uint8_t> resample(std::span<const uint8_t> pixels, int width, int height, int channels,
                              int out_width, int out_height, Interpolation interpolation) {
  return resample(pixels, width, height, channels, out_width, out_height, interpolation,
                  {0, 0, out_width, out_height});
}

std::vector<uint8_t> resample_bicubic(std::span<const uint8_t> pixels, int width, int height,
                                      int channels, int out_width, int out_height, const Window& window) {
  return resample(pixels, width, height, channels, out_width, out_height, Interpolation::bicubic, window);
}

std::vector<uint8_t> resample_bicubic(std::span<const uint8_t> pixels, int width, int height,
                                      int channels, int out_width, int out_height) {
  return resample(pixels, width, height, channels, out_width, out_height, Interpolation::bicubic);
}

std::vector<uint8_t> resize_nearest(std::span<const uint8_t> pixels, int width, int height,
                                    int channels, int out_width, int out_height, const Window& window) {
  check_sizes(width, height, channels, out_width, out_height, pixels.size());
  check_window(window, out_width, out_height);
  // Pillow: a[0] = (double)(box[2] - box[0]) / xsize with a float box; the position
  // starts at a[0] * 0.5 and advances by a[0] (accumulated, not multiplied — so a
  // window's first position is reached by the same additions).
  const double ax = static_cast<double>(static_cast<float>(width) - 0.0f) / out_width;
  const double ay = static_cast<double>(static_cast<float>(height) - 0.0f) / out_height;
  auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  std::vector<int> source_x(window.width, -1);
  double xo = 0.0 + ax * 0.5;
  for (int x = 0; x < window.x + window.width; ++x) {
    const int xin = coord(xo);
    if (x >= window.x && xin >= 0 && xin < width) source_x[x - window.x] = xin;
    xo += ax;
  }
  std::vector<uint8_t> out(static_cast<size_t>(window.width) * window.height * channels, 0);
  double yo = 0.0 + ay * 0.5;
  for (int y = 0; y < window.y + window.height; ++y) {
    const int yin = coord(yo);
    yo += ay;
    if (y < window.y || yin < 0 || yin >= height) continue;  // Pillow leaves such rows zero-filled
    const uint8_t* src = pixels.data() + static_cast<size_t>(yin) * width * channels;
    uint8_t* dst = out.data() + static_cast<size_t>(y - window.y) * window.width * channels;
    for (int x = 0; x < window.width; ++x) {
      if (source_x[x] < 0) continue;
      for (int ch = 0; ch < channels; ++ch) dst[x * channels + ch] = src[source_x[x] * channels + ch];
    }
  }
  return out;
}

std::vector<uint8_t> resize_nearest(std::span<const uint8_t> pixels, int width, int height,
                                    int channels, int out_width, int out_height) {
  return resize_nearest(pixels, width, height, channels, out_width, out_height, {0, 0, out_width, out_height});
}

Image resize_image(const Image& image, int out_width, int out_height, Interpolation interpolation) {
  return resize_image(image, out_width, out_height, interpolation, {0, 0, out_width, out_height});
}

Image resize_image(const Image& image, int out_width, int out_height) {
  return resize_image(image, out_width, out_height, Interpolation::bicubic);
}

Image resize_image(const Image& image, int out_width, int out_height, const Window& window) {
  return resize_image(image, out_width, out_height, Interpolation::bicubic, window);
}

Image resize_image(const Image& image, int out_width, int out_height, Interpolation interpolation,
                   const Window& window) {
  if (out_width <= 0 || out_height <= 0) {
    throw Error(ErrorCode::invalid_argument, "resize: target size " + std::to_string(out_width) +
                                                 "x" + std::to_string(out_height));
  }
  if (image.width == out_width && image.height == out_height && window.x == 0 && window.y == 0 &&
      window.width == out_width && window.height == out_height)
    return image;
  Image out;
  out.width = window.width;
  out.height = window.height;
  out.mode = image.mode;
  out.palette = image.palette;
  const int c = channels(image.mode);
  switch (image.mode) {
    case PixelMode::bilevel:
    case PixelMode::palette:
      out.pixels = resize_nearest(image.pixels, image.width, image.height, c, out_width, out_height, window);
      break;
    case PixelMode::gray_alpha:
    case PixelMode::rgba: {
      std::vector<uint8_t> premultiplied = premultiply_alpha(image.pixels, c);
      out.pixels = resample(premultiplied, image.width, image.height, c, out_width, out_height, interpolation, window);
      unpremultiply_alpha(out.pixels, c);
      break;
    }
    case PixelMode::gray:
    case PixelMode::rgb:
    case PixelMode::cmyk:
      out.pixels = resample(image.pixels, image.width, image.height, c, out_width, out_height, interpolation, window);
      break;
  }
  return out;
}

}  // namespace clipkit::image
