#include "kernels/attention.hpp"

#include <cmath>
#include <vector>

#include "kernels/ops.hpp"

namespace clipkit::kernels {

namespace {

// Loops are written so the compiler vectorizes them without reassociating sums
// (no reductions over the vector index): scores go column-wise over a transposed
// K, and the output accumulates p·v row by row. Cloned for AVX-512 / AVX2 / SSE2.
__attribute__((target_clones("avx512f", "avx2", "default")))
void head_kernel(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim, bool causal, float* out,
                 float* scratch) {
  const size_t stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const float* q_base = qkv + head * head_dim;
  const float* k_base = qkv + width + head * head_dim;
  const float* v_base = qkv + 2 * width + head * head_dim;
  float* kt = scratch;          // head_dim × len: K transposed
  float* scores = kt + head_dim * len;
  for (size_t j = 0; j < len; ++j)
    for (size_t d = 0; d < head_dim; ++d) kt[d * len + j] = k_base[j * stride + d];
  for (size_t i = 0; i < len; ++i) {
    const float* q = q_base + i * stride;
    // Keys after i get probability zero under the causal mask: skip them outright.
    const size_t keys = causal ? i + 1 : len;
    for (size_t j = 0; j < keys; ++j) scores[j] = 0.0f;
    for (size_t d = 0; d < head_dim; ++d) {
      const float qd = q[d] * scale;
      const float* krow = kt + d * len;
      for (size_t j = 0; j < keys; ++j) scores[j] += qd * krow[j];
    }
    softmax(scores, keys);
    float* o = out + i * width + head * head_dim;
    for (size_t d = 0; d < head_dim; ++d) o[d] = 0.0f;
    for (size_t j = 0; j < keys; ++j) {
      const float p = scores[j];
      const float* v = v_base + j * stride;
      for (size_t d = 0; d < head_dim; ++d) o[d] += p * v[d];
    }
  }
}

}  // namespace

size_t attention_scratch_floats(size_t len, size_t head_dim) { return head_dim * len + len; }

void attention_head(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim, bool causal, float* out,
                    float* scratch) {
  head_kernel(qkv, len, width, head, head_dim, causal, out, scratch);
}

void attention(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out) {
  const size_t head_dim = width / heads;
  std::vector<float> scratch(attention_scratch_floats(len, head_dim));
  for (size_t h = 0; h < heads; ++h) attention_head(qkv, len, width, h, head_dim, causal, out, scratch.data());
}

}  // namespace clipkit::kernels
