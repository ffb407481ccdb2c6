#include "kernels/ops.hpp"

#include <algorithm>
#include <cmath>

namespace clipkit::kernels {

// Two passes: the mean first, then the variance about it (no cancellation for rows
// with a large common offset, e.g. residual streams). The sums are vectorized
// (omp simd reductions), cloned for AVX-512 / AVX2 / SSE2.
__attribute__((target_clones("avx512f", "avx2", "default")))
void layer_norm(const float* x, size_t rows, size_t width, const float* gamma, const float* beta,
                float* y, float eps) {
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * width;
    float* out = y + r * width;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (size_t i = 0; i < width; ++i) sum += in[i];
    const float mean = sum / static_cast<float>(width);
    float sq = 0;
#pragma omp simd reduction(+ : sq)
    for (size_t i = 0; i < width; ++i) {
      const float d = in[i] - mean;
      sq += d * d;
    }
    const float inv = 1.0f / std::sqrt(sq / static_cast<float>(width) + eps);
    for (size_t i = 0; i < width; ++i) out[i] = (in[i] - mean) * inv * gamma[i] + beta[i];
  }
}

void activate(float* x, size_t n, Activation activation) {
  if (activation == Activation::quick_gelu) {
    for (size_t i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
  } else if (activation == Activation::gelu_tanh) {
    constexpr float kSqrt2OverPi = 0.79788456080286536f;
    for (size_t i = 0; i < n; ++i)
      x[i] = 0.5f * x[i] * (1.0f + std::tanh(kSqrt2OverPi * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
  } else {
    constexpr float kInvSqrt2 = 0.70710678118654752f;
    for (size_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * kInvSqrt2));
  }
}

void softmax(float* x, size_t n) {
  if (n == 0) return;
  const float max = *std::max_element(x, x + n);
  float sum = 0;
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace clipkit::kernels
