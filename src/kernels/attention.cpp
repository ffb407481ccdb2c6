#include "kernels/attention.hpp"

#include <cmath>
#include <vector>

#include "kernels/ops.hpp"

namespace clipkit::kernels {

void attention_head(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim,
                    bool causal, float* out, float* scratch) {
  const size_t stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const float* q_base = qkv + head * head_dim;
  const float* k_base = qkv + width + head * head_dim;
  const float* v_base = qkv + 2 * width + head * head_dim;
  for (size_t i = 0; i < len; ++i) {
    const float* q = q_base + i * stride;
    // Keys after i get probability zero under the causal mask: skip them outright.
    const size_t keys = causal ? i + 1 : len;
    for (size_t j = 0; j < keys; ++j) {
      const float* k = k_base + j * stride;
      float dot = 0;
      for (size_t d = 0; d < head_dim; ++d) dot += q[d] * k[d];
      scratch[j] = dot * scale;
    }
    softmax(scratch, keys);
    float* o = out + i * width + head * head_dim;
    for (size_t d = 0; d < head_dim; ++d) o[d] = 0;
    for (size_t j = 0; j < keys; ++j) {
      const float p = scratch[j];
      const float* v = v_base + j * stride;
      for (size_t d = 0; d < head_dim; ++d) o[d] += p * v[d];
    }
  }
}

void attention(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out) {
  std::vector<float> scratch(len);
  const size_t head_dim = width / heads;
  for (size_t h = 0; h < heads; ++h) attention_head(qkv, len, width, h, head_dim, causal, out, scratch.data());
}

}  // namespace clipkit::kernels
