#include "kernels/attention.hpp"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace clipkit::kernels {
namespace {

// Textbook attention: build the full score matrix, add a -inf mask, softmax, multiply.
std::vector<float> naive_attention(const std::vector<float>& qkv, size_t len, size_t width,
                                   size_t heads, bool causal) {
  const size_t hd = width / heads;
  std::vector<float> out(len * width, 0.0f);
  for (size_t h = 0; h < heads; ++h) {
    std::vector<double> s(len * len);
    for (size_t i = 0; i < len; ++i)
      for (size_t j = 0; j < len; ++j) {
        double dot = 0;
        for (size_t d = 0; d < hd; ++d)
          dot += double(qkv[i * 3 * width + h * hd + d]) * qkv[j * 3 * width + width + h * hd + d];
        s[i * len + j] = dot / std::sqrt(double(hd)) +
                         ((causal && j > i) ? -std::numeric_limits<double>::infinity() : 0.0);
      }
    for (size_t i = 0; i < len; ++i) {
      double m = -1e300, sum = 0;
      for (size_t j = 0; j < len; ++j) m = std::max(m, s[i * len + j]);
      for (size_t j = 0; j < len; ++j) sum += std::exp(s[i * len + j] - m);
      for (size_t d = 0; d < hd; ++d) {
        double acc = 0;
        for (size_t j = 0; j < len; ++j)
          acc += std::exp(s[i * len + j] - m) / sum * qkv[j * 3 * width + 2 * width + h * hd + d];
        out[i * width + h * hd + d] = static_cast<float>(acc);
      }
    }
  }
  return out;
}

TEST(Attention, MatchesNaiveWithAndWithoutCausalMask) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (size_t len : {1u, 5u, 50u}) {
    for (size_t heads : {1u, 4u}) {
      const size_t width = 64 * heads / 2;
      std::vector<float> qkv(len * 3 * width);
      for (auto& x : qkv) x = dist(rng);
      for (bool causal : {false, true}) {
        std::vector<float> out(len * width);
        attention(qkv.data(), len, width, heads, causal, out.data());
        auto ref = naive_attention(qkv, len, width, heads, causal);
        for (size_t i = 0; i < out.size(); ++i)
          ASSERT_NEAR(out[i], ref[i], 1e-5) << "len=" << len << " heads=" << heads << " causal=" << causal << " i=" << i;
      }
    }
  }
}

TEST(Attention, CausalFirstRowIsFirstValue) {
  // With the causal mask, position 0 attends only to itself: output = v[0].
  const size_t len = 3, width = 2;
  std::vector<float> qkv = {1, 2, 3, 4, 5, 6, /*row1*/ 1, 1, 1, 1, 7, 8, /*row2*/ 0, 0, 0, 0, 9, 9};
  std::vector<float> out(len * width);
  attention(qkv.data(), len, width, 1, true, out.data());
  EXPECT_FLOAT_EQ(out[0], 5);
  EXPECT_FLOAT_EQ(out[1], 6);
}

}  // namespace
}  // namespace clipkit::kernels
