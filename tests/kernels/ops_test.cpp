#include "kernels/ops.hpp"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/op_check.hpp"
#include "kernels/reference.hpp"

namespace clipkit::kernels {
namespace {

using testing::check_op;
using testing::kTolerance;
using testing::OpOutputs;
using testing::OpShape;
using testing::random_floats;

TEST(LayerNorm, MatchesReference) {
  check_op("layer_norm", {{"rows", 1, 9}, {"width", 1, 1100}}, kTolerance.layer_norm,
           [](const OpShape& s, std::mt19937& rng) {
             const size_t rows = s["rows"], width = s["width"];
             auto x = random_floats(rows * width, rng, 2.0f);
             for (size_t r = 0; r < rows; ++r)  // a common offset per row, as residual streams have
               for (size_t i = 0; i < width; ++i) x[r * width + i] += static_cast<float>(r) - 4.0f;
             auto gamma = random_floats(width, rng), beta = random_floats(width, rng);
             OpOutputs result{std::vector<float>(rows * width), std::vector<float>(rows * width)};
             layer_norm(x.data(), rows, width, gamma.data(), beta.data(), result.fast.data());
             layer_norm_reference(x.data(), rows, width, gamma.data(), beta.data(), result.reference.data());
             return result;
           });
}

TEST(Softmax, MatchesReference) {
  check_op("softmax", {{"n", 1, 2000}}, kTolerance.softmax, [](const OpShape& s, std::mt19937& rng) {
    auto x = random_floats(s["n"], rng, 4.0f);
    OpOutputs result{x, x};
    softmax(result.fast.data(), x.size());
    softmax_reference(result.reference.data(), x.size());
    return result;
  });
}

TEST(LayerNorm, NormalisesEachRow) {
  // Row [1,2,3,4]: mean 2.5, var 1.25 -> (x-2.5)/sqrt(1.25+1e-5).
  std::vector<float> x = {1, 2, 3, 4, 10, 10, 10, 10}, y(8);
  std::vector<float> gamma = {1, 1, 2, 1}, beta = {0, 0, 0, 0.5f};
  layer_norm(x.data(), 2, 4, gamma.data(), beta.data(), y.data());
  const double s = 1.0 / std::sqrt(1.25 + 1e-5);
  EXPECT_NEAR(y[0], -1.5 * s, 1e-6);
  EXPECT_NEAR(y[1], -0.5 * s, 1e-6);
  EXPECT_NEAR(y[2], 2 * 0.5 * s, 1e-6);
  EXPECT_NEAR(y[3], 1.5 * s + 0.5, 1e-6);
  // A constant row normalises to beta.
  EXPECT_NEAR(y[4], 0.0, 1e-6);
  EXPECT_NEAR(y[7], 0.5, 1e-6);
}

TEST(LayerNorm, LargeOffsetKeepsPrecision) {
  std::vector<float> x = {10000.0f, 10001.0f}, y(2), g = {1, 1}, b = {0, 0};
  layer_norm(x.data(), 1, 2, g.data(), b.data(), y.data());
  EXPECT_NEAR(y[0], -1.0 / std::sqrt(1 + 4e-5), 1e-5);
}

TEST(Activation, KnownValues) {
  std::vector<float> x = {-1.0f, 0.0f, 1.0f, 3.0f};
  auto g = x;
  activate(g.data(), g.size(), Activation::gelu);
  // 0.5·x·(1 + erf(x/√2))
  EXPECT_NEAR(g[0], -0.15865525393, 1e-6);
  EXPECT_NEAR(g[1], 0.0, 1e-7);
  EXPECT_NEAR(g[2], 0.84134474607, 1e-6);
  EXPECT_NEAR(g[3], 2.99595031, 1e-5);
  auto q = x;
  activate(q.data(), q.size(), Activation::quick_gelu);
  // x·σ(1.702x)
  EXPECT_NEAR(q[0], -0.15420423, 1e-6);
  EXPECT_NEAR(q[2], 0.84579577, 1e-6);
  EXPECT_NEAR(q[3], 2.98200, 1e-4);
  auto t = x;
  activate(t.data(), t.size(), Activation::gelu_tanh);
  // torch.nn.GELU(approximate="tanh")([-1, 0, 1, 3]) (float64)
  EXPECT_NEAR(t[0], -0.15880800939, 1e-6);
  EXPECT_NEAR(t[1], 0.0, 1e-7);
  EXPECT_NEAR(t[2], 0.84119199061, 1e-6);
  EXPECT_NEAR(t[3], 2.99636261, 1e-5);
}

TEST(Softmax, SumsToOneAndIsShiftInvariant) {
  std::vector<float> a = {1, 2, 3}, b = {1001, 1002, 1003};
  softmax(a.data(), 3);
  softmax(b.data(), 3);
  EXPECT_NEAR(a[0], 0.09003057, 1e-6);
  EXPECT_NEAR(a[2], 0.66524096, 1e-6);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

}  // namespace
}  // namespace clipkit::kernels
