#include "kernels/attention.hpp"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/ops.hpp"

namespace clipkit::kernels {

namespace {

// Tile sizes of the non-causal path: kQueries query rows at a time against kLanes keys
// (or output columns) at a time, so one tile's sums stay in registers (8 AVX-512
// accumulators) instead of going through memory at every multiply-add.
constexpr size_t kQueries = 8;
constexpr size_t kLanes = 16;
// kLanes floats; GCC lowers it to one zmm, two ymm or four xmm per clone.
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));

// By reference: a 64-byte vector passed by value would depend on the clone's ABI.
inline void load_lanes(Lanes& v, const float* p) { std::memcpy(&v, p, sizeof v); }
inline void store_lanes(float* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }

// One tile of a product: for r < kQueries, c[r·c_stride + 0..kLanes) =
// Σ_{m < inner} a[r·a_stride + m] · b[m·b_stride + 0..kLanes), summed in order of m.
// Both tile loops of head_kernel (scores = Q·Kᵀ, output = P·V) are this. Always inlined,
// so each target clone of head_kernel compiles it for its own ISA (with its FMAs).
__attribute__((always_inline)) inline void tile_product(const float* a, size_t a_stride, const float* b,
                                                        size_t b_stride, size_t inner, float* c, size_t c_stride) {
  Lanes acc[kQueries] = {};
  for (size_t m = 0; m < inner; ++m) {
    Lanes row;
    load_lanes(row, b + m * b_stride);
#pragma GCC unroll 8
    for (size_t r = 0; r < kQueries; ++r) acc[r] += a[r * a_stride + m] * row;
  }
#pragma GCC unroll 8
  for (size_t r = 0; r < kQueries; ++r) store_lanes(c + r * c_stride, acc[r]);
}

// No sum is reassociated: scores go column-wise over a transposed K, and the output
// accumulates p·v key by key, so each element is one chain of multiply-adds in a fixed
// order (score: over d from 0; output: over keys from 0) in the tiles and in the row
// path alike. Cloned for AVX-512 / AVX2 / SSE2.
__attribute__((target_clones("avx512f", "avx2", "default")))
void head_kernel(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim, bool causal, float* out,
                 float* scratch) {
  const size_t stride = 3 * width;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const float* q_base = qkv + head * head_dim;
  const float* k_base = qkv + width + head * head_dim;
  const float* v_base = qkv + 2 * width + head * head_dim;
  float* kt = scratch;                   // head_dim × len: K transposed
  float* scores = kt + head_dim * len;   // kQueries × len
  float* qs = scores + kQueries * len;   // kQueries × head_dim: scaled queries
  for (size_t j = 0; j < len; ++j)
    for (size_t d = 0; d < head_dim; ++d) kt[d * len + j] = k_base[j * stride + d];

  // Whole tiles of kQueries rows (bidirectional attention only: under the causal mask
  // each row has its own number of keys).
  size_t first_row = 0;
  if (!causal) {
    const size_t full_keys = len - len % kLanes, full_cols = head_dim - head_dim % kLanes;
    for (; first_row + kQueries <= len; first_row += kQueries) {
      for (size_t r = 0; r < kQueries; ++r)
        for (size_t d = 0; d < head_dim; ++d) qs[r * head_dim + d] = q_base[(first_row + r) * stride + d] * scale;
      for (size_t j0 = 0; j0 < full_keys; j0 += kLanes)
        tile_product(qs, head_dim, kt + j0, len, head_dim, scores + j0, len);
      for (size_t r = 0; r < kQueries; ++r) {
        float* row = scores + r * len;
        for (size_t j = full_keys; j < len; ++j) row[j] = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) {
          const float qd = qs[r * head_dim + d];
          const float* krow = kt + d * len;
          for (size_t j = full_keys; j < len; ++j) row[j] += qd * krow[j];
        }
        softmax(row, len);
      }
      float* o = out + first_row * width + head * head_dim;
      for (size_t d0 = 0; d0 < full_cols; d0 += kLanes)
        tile_product(scores, len, v_base + d0, stride, len, o + d0, width);
      if (full_cols < head_dim) {
        for (size_t r = 0; r < kQueries; ++r) {
          float* orow = o + r * width;
          for (size_t d = full_cols; d < head_dim; ++d) orow[d] = 0.0f;
          for (size_t j = 0; j < len; ++j) {
            const float p = scores[r * len + j];
            const float* v = v_base + j * stride;
            for (size_t d = full_cols; d < head_dim; ++d) orow[d] += p * v[d];
          }
        }
      }
    }
  }

  // The remaining rows (all of them under the causal mask), one at a time.
  for (size_t i = first_row; i < len; ++i) {
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

size_t attention_scratch_floats(size_t len, size_t head_dim) {
  return head_dim * len + kQueries * len + kQueries * head_dim;
}

void attention_head(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim, bool causal, float* out,
                    float* scratch) {
  head_kernel(qkv, len, width, head, head_dim, causal, out, scratch);
}

void attention(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out) {
  const size_t head_dim = width / heads;
  std::vector<float> scratch(attention_scratch_floats(len, head_dim));
  for (size_t h = 0; h < heads; ++h) attention_head(qkv, len, width, h, head_dim, causal, out, scratch.data());
}

void pool_attention(const float* q, size_t q_stride, const float* kv, size_t count, size_t len, size_t width,
                    size_t heads, float* out) {
  const size_t head_dim = width / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  core::parallel_for(count * heads, [&](size_t begin, size_t end) {
    std::vector<float> scores(len);
    for (size_t task = begin; task < end; ++task) {
      const size_t n = task / heads, h = task % heads;
      const float* query = q + n * q_stride + h * head_dim;
      const float* rows = kv + n * len * 2 * width;
      for (size_t j = 0; j < len; ++j) {
        const float* k = rows + j * 2 * width + h * head_dim;
        float dot = 0;
        for (size_t d = 0; d < head_dim; ++d) dot += query[d] * k[d];
        scores[j] = dot * scale;
      }
      softmax(scores.data(), len);
      float* o = out + n * width + h * head_dim;
      std::fill(o, o + head_dim, 0.0f);
      for (size_t j = 0; j < len; ++j) {
        const float* v = rows + j * 2 * width + width + h * head_dim;
        for (size_t d = 0; d < head_dim; ++d) o[d] += scores[j] * v[d];
      }
    }
  });
}

}  // namespace clipkit::kernels
