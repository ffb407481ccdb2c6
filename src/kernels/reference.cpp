#include "kernels/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.hpp"

namespace clipkit::kernels {

void linear_reference(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias,
                      float* y, const Epilogue& epilogue) {
  std::vector<float> row(out);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t o = 0; o < out; ++o) {
      double acc = bias ? bias[o] : 0.0;
      for (size_t i = 0; i < in; ++i) acc += double(x[r * in + i]) * w[o * in + i];
      row[o] = static_cast<float>(acc);
    }
    // activate() is itself the plain scalar definition of both activations.
    if (epilogue.activation) activate(row.data(), out, *epilogue.activation);
    float* dst = y + r * out;
    for (size_t o = 0; o < out; ++o) dst[o] = epilogue.accumulate ? dst[o] + row[o] : row[o];
  }
}

void conv2d_reference(const float* x, size_t count, size_t height, size_t width, const float* w, const float* bias,
                      const ConvShape& s, float* y, const ConvEpilogue& epilogue) {
  const size_t oh = s.output_size(height), ow = s.output_size(width);
  for (size_t n = 0; n < count; ++n)
    for (size_t i = 0; i < oh; ++i)
      for (size_t j = 0; j < ow; ++j)
        for (size_t o = 0; o < s.out; ++o) {
          double acc = bias ? bias[o] : 0.0;
          for (size_t ki = 0; ki < s.kernel; ++ki)
            for (size_t kj = 0; kj < s.kernel; ++kj) {
              // Input row/column of this tap; outside the image is the zero padding.
              const long r = static_cast<long>(i * s.stride + ki) - static_cast<long>(s.padding);
              const long c = static_cast<long>(j * s.stride + kj) - static_cast<long>(s.padding);
              if (r < 0 || c < 0 || r >= static_cast<long>(height) || c >= static_cast<long>(width)) continue;
              const float* in = x + ((n * height + static_cast<size_t>(r)) * width + static_cast<size_t>(c)) * s.in;
              for (size_t ci = 0; ci < s.in; ++ci)
                acc += double(in[ci]) * w[((o * s.in + ci) * s.kernel + ki) * s.kernel + kj];
            }
          float* out = y + ((n * oh + i) * ow + j) * s.out + o;
          if (epilogue.accumulate) acc += *out;
          if (epilogue.relu) acc = std::max(acc, 0.0);
          *out = static_cast<float>(acc);
        }
}

void avg_pool_reference(const float* x, size_t count, size_t height, size_t width, size_t channels, size_t factor,
                        float* y) {
  const size_t oh = height / factor, ow = width / factor;
  for (size_t n = 0; n < count; ++n)
    for (size_t i = 0; i < oh; ++i)
      for (size_t j = 0; j < ow; ++j)
        for (size_t c = 0; c < channels; ++c) {
          double sum = 0;
          for (size_t di = 0; di < factor; ++di)
            for (size_t dj = 0; dj < factor; ++dj)
              sum += x[((n * height + i * factor + di) * width + j * factor + dj) * channels + c];
          y[((n * oh + i) * ow + j) * channels + c] = static_cast<float>(sum / double(factor * factor));
        }
}

void batch_norm_reference(float* x, size_t pixels, size_t channels, const float* gamma, const float* beta,
                          const float* mean, const float* var, float eps) {
  for (size_t p = 0; p < pixels; ++p)
    for (size_t c = 0; c < channels; ++c) {
      float& v = x[p * channels + c];
      v = static_cast<float>((double(v) - mean[c]) / std::sqrt(double(var[c]) + eps) * gamma[c] + beta[c]);
    }
}

void layer_norm_reference(const float* x, size_t rows, size_t width, const float* gamma, const float* beta, float* y,
                          float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * width;
    double mean = 0;
    for (size_t i = 0; i < width; ++i) mean += in[i];
    mean /= double(width);
    double var = 0;
    for (size_t i = 0; i < width; ++i) var += (in[i] - mean) * (in[i] - mean);
    var /= double(width);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (size_t i = 0; i < width; ++i) y[r * width + i] = static_cast<float>((in[i] - mean) * inv * gamma[i] + beta[i]);
  }
}

void softmax_reference(float* x, size_t n) {
  if (n == 0) return;
  const double max = *std::max_element(x, x + n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(x[i] - max);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>(std::exp(x[i] - max) / sum);
}

void attention_reference(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out) {
  const size_t head_dim = width / heads;
  const size_t stride = 3 * width;
  std::vector<double> scores(len * len);
  for (size_t h = 0; h < heads; ++h) {
    for (size_t i = 0; i < len; ++i)
      for (size_t j = 0; j < len; ++j) {
        double dot = 0;
        for (size_t d = 0; d < head_dim; ++d)
          dot += double(qkv[i * stride + h * head_dim + d]) * qkv[j * stride + width + h * head_dim + d];
        scores[i * len + j] = dot / std::sqrt(double(head_dim)) +
                              ((causal && j > i) ? -std::numeric_limits<double>::infinity() : 0.0);
      }
    for (size_t i = 0; i < len; ++i) {
      const double* s = scores.data() + i * len;
      const double max = *std::max_element(s, s + len);
      double sum = 0;
      for (size_t j = 0; j < len; ++j) sum += std::exp(s[j] - max);
      for (size_t d = 0; d < head_dim; ++d) {
        double acc = 0;
        for (size_t j = 0; j < len; ++j) acc += std::exp(s[j] - max) / sum * qkv[j * stride + 2 * width + h * head_dim + d];
        out[i * width + h * head_dim + d] = static_cast<float>(acc);
      }
    }
  }
}

void matvec_reference(const float* a, size_t rows, size_t cols, const float* x, float* y) {
  for (size_t i = 0; i < rows; ++i) {
    double sum = 0;
    for (size_t j = 0; j < cols; ++j) sum += double(a[i * cols + j]) * x[j];
    y[i] = static_cast<float>(sum);
  }
}

void matmul_nt_reference(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m,
                         size_t n, size_t k) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (size_t p = 0; p < k; ++p) sum += double(a[i * lda + p]) * b[j * ldb + p];
      c[i * ldc + j] = static_cast<float>(sum);
    }
}

}  // namespace clipkit::kernels
