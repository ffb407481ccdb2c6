// The reference twins on hand-worked examples: what the fast kernels are held to must
// itself be right.
#include "kernels/reference.hpp"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace clipkit::kernels {
namespace {

TEST(LinearReference, HandExample) {
  // x = [[1, 2]], w = [[1, 0], [0, 1], [2, 3]], b = [1, 1, 1] -> [2, 3, 9]
  std::vector<float> x = {1, 2}, w = {1, 0, 0, 1, 2, 3}, b = {1, 1, 1}, y(3);
  linear_reference(x.data(), 1, 2, w.data(), 3, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{2, 3, 9}));
  // residual: y += x·wᵀ (no bias)
  linear_reference(x.data(), 1, 2, w.data(), 3, nullptr, y.data(), Epilogue::residual());
  EXPECT_EQ(y, (std::vector<float>{3, 5, 17}));
  // GELU after the bias: gelu(2) = 2·Φ(2)
  linear_reference(x.data(), 1, 2, w.data(), 3, b.data(), y.data(), Epilogue::activated(Activation::gelu));
  EXPECT_NEAR(y[0], 1.95449974, 1e-6);
}

TEST(LayerNormReference, NormalisesEachRow) {
  std::vector<float> x = {1, 2, 3, 4, 10, 10, 10, 10}, y(8);
  std::vector<float> gamma = {1, 1, 2, 1}, beta = {0, 0, 0, 0.5f};
  layer_norm_reference(x.data(), 2, 4, gamma.data(), beta.data(), y.data());
  const double s = 1.0 / std::sqrt(1.25 + 1e-5);
  EXPECT_NEAR(y[0], -1.5 * s, 1e-6);
  EXPECT_NEAR(y[2], 2 * 0.5 * s, 1e-6);
  EXPECT_NEAR(y[3], 1.5 * s + 0.5, 1e-6);
  EXPECT_NEAR(y[4], 0.0, 1e-7);
  EXPECT_NEAR(y[7], 0.5, 1e-7);
}

TEST(SoftmaxReference, KnownValues) {
  std::vector<float> a = {1, 2, 3};
  softmax_reference(a.data(), 3);
  EXPECT_NEAR(a[0], 0.09003057, 1e-7);
  EXPECT_NEAR(a[1], 0.24472847, 1e-7);
  EXPECT_NEAR(a[2], 0.66524096, 1e-7);
}

TEST(AttentionReference, CausalFirstRowIsFirstValueAndUniformScoresAverage) {
  // Row 0 under the causal mask sees only itself; zero queries give uniform weights.
  std::vector<float> qkv = {0, 0, 0, 0, 5, 6, /*row1*/ 0, 0, 1, 1, 7, 8, /*row2*/ 0, 0, 2, 2, 9, 4};
  std::vector<float> out(6);
  attention_reference(qkv.data(), 3, 2, 1, true, out.data());
  EXPECT_FLOAT_EQ(out[0], 5);
  EXPECT_FLOAT_EQ(out[1], 6);
  EXPECT_FLOAT_EQ(out[2], 6);  // mean of 5, 7
  EXPECT_FLOAT_EQ(out[5], 6);  // mean of 6, 8, 4
  attention_reference(qkv.data(), 3, 2, 1, false, out.data());
  EXPECT_FLOAT_EQ(out[0], 7);  // mean of 5, 7, 9
}

TEST(MatrixProductReferences, HandExamples) {
  // [[1,2],[3,4]] · [5,6] = [17, 39]
  std::vector<float> a = {1, 2, 3, 4}, x = {5, 6}, y(2);
  matvec_reference(a.data(), 2, 2, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{17, 39}));
  // [[1,2],[3,4]] · [[5,6],[7,8]]ᵀ = [[17,23],[39,53]]
  std::vector<float> b = {5, 6, 7, 8}, c(4);
  matmul_nt_reference(a.data(), 2, b.data(), 2, c.data(), 2, 2, 2, 2);
  EXPECT_EQ(c, (std::vector<float>{17, 23, 39, 53}));
}

}  // namespace
}  // namespace clipkit::kernels
