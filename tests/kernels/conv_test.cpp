#include "kernels/conv.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "kernels/op_check.hpp"
#include "kernels/reference.hpp"

namespace clipkit::kernels {
namespace {

using testing::check_op;
using testing::kTolerance;
using testing::OpOutputs;
using testing::OpShape;
using testing::random_floats;

std::string describe(const ConvEpilogue& e) {
  if (e.accumulate && e.relu) return "residual+relu";
  if (e.accumulate) return "residual";
  return e.relu ? "relu" : "plain";
}

// Every kernel size, stride and padding a CLIP ResNet uses (1×1, 3×3 pad 1, the stem's
// 3×3 stride 2), and a 5×5 stride 3 no ResNet has, in both precisions and with every
// epilogue, against the six-loop twin on odd channel counts and image sizes.
TEST(Conv2d, EveryShapePrecisionAndEpilogueMatchesReference) {
  struct Geometry {
    size_t kernel, stride, padding;
  };
  const Geometry geometries[] = {{1, 1, 0}, {3, 1, 1}, {3, 2, 1}, {5, 3, 0}};
  const ConvEpilogue epilogues[] = {{false, false}, {false, true}, {true, false}, {true, true}};
  struct Case {
    Precision precision;
    testing::Tolerance tolerance;
  };
  const Case cases[] = {{Precision::fp32, kTolerance.conv_fp32}, {Precision::bf16, kTolerance.conv_bf16}};
  for (const Case& c : cases)
    for (const Geometry& g : geometries)
      for (const ConvEpilogue& e : epilogues) {
        const std::string op = std::string("conv ") + to_string(c.precision) + " " + std::to_string(g.kernel) + "×" +
                               std::to_string(g.kernel) + "/" + std::to_string(g.stride) + " pad " +
                               std::to_string(g.padding) + " " + describe(e);
        check_op(op, {{"count", 1, 3}, {"in", 1, 40}, {"out", 1, 40}, {"height", 5, 13}, {"width", 5, 13}},
                 c.tolerance,
                 [&](const OpShape& s, std::mt19937& rng) {
                   const ConvShape shape{s["in"], s["out"], g.kernel, g.stride, g.padding};
                   const size_t n = s["count"], h = s["height"], w = s["width"];
                   const size_t out_size = n * shape.output_size(h) * shape.output_size(w) * shape.out;
                   auto x = random_floats(n * h * w * shape.in, rng);
                   auto weights =
                       random_floats(shape.out * shape.in * g.kernel * g.kernel, rng,
                                     1.0f / std::sqrt(float(shape.in * g.kernel * g.kernel)));
                   auto bias = random_floats(shape.out, rng);
                   auto y = random_floats(out_size, rng);
                   // Packed for 8×8 inputs: most shapes here run the reordered-weights path.
                   const Conv2d conv(weights.data(), bias.data(), shape, c.precision, 8, 8);
                   OpOutputs o{y, y};
                   conv.forward(x.data(), n, h, w, o.fast.data(), e);
                   conv2d_reference(x.data(), n, h, w, weights.data(), bias.data(), shape, o.reference.data(), e);
                   return o;
                 },
                 4);
      }
}

TEST(Conv2d, ReportsPrecisionShapeAndPackedBytes) {
  const std::vector<float> w(8 * 3 * 3 * 3, 0.5f);
  const Conv2d conv(w.data(), nullptr, {3, 8, 3, 2, 1}, Precision::int8, 16, 16);
  EXPECT_EQ(conv.precision(), Precision::bf16);  // int8 convolutions run bf16
  EXPECT_EQ(conv.shape().output_size(16), 8u);
  EXPECT_GE(conv.weight_bytes(), w.size() * 2 + 8 * sizeof(float));
}

TEST(Conv2d, AnInputSmallerThanTheKernelIsRefused) {
  const std::vector<float> w(4 * 2 * 5 * 5, 0.1f);
  const Conv2d conv(w.data(), nullptr, {2, 4, 5, 1, 0}, Precision::fp32, 8, 8);
  std::vector<float> x(3 * 3 * 2), y(16);
  try {
    conv.forward(x.data(), 1, 3, 3, y.data());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("3×3 is smaller than its 5×5 kernel"), std::string::npos) << e.what();
  }
}

TEST(AvgPool, MatchesReferenceAndDropsTheRemainder) {
  check_op("avg_pool", {{"count", 1, 3}, {"height", 2, 15}, {"width", 2, 15}, {"channels", 1, 70}, {"factor", 1, 3}},
           kTolerance.avg_pool, [](const OpShape& s, std::mt19937& rng) {
             const size_t n = s["count"], h = s["height"], w = s["width"], c = s["channels"], f = s["factor"];
             auto x = random_floats(n * h * w * c, rng);
             OpOutputs o;
             o.fast.resize(n * (h / f) * (w / f) * c);
             o.reference.resize(o.fast.size());
             avg_pool(x.data(), n, h, w, c, f, o.fast.data());
             avg_pool_reference(x.data(), n, h, w, c, f, o.reference.data());
             return o;
           });
  // 3×3 → 1×1 with factor 2: the last row and column are not read.
  const std::vector<float> x = {1, 2, 100, 3, 4, 100, 100, 100, 100};
  std::vector<float> y(1);
  avg_pool(x.data(), 1, 3, 3, 1, 2, y.data());
  EXPECT_FLOAT_EQ(y[0], 2.5f);
}

TEST(Conv2dReference, HandComputedPaddingStrideAndBias) {
  // One channel, 3×3 image 1…9, a 3×3 kernel of ones, padding 1, stride 2: each output
  // is the sum of the 2×2 corner it sees, plus the bias 0.5.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<float> w(9, 1.0f);
  const float bias = 0.5f;
  std::vector<float> y(4);
  conv2d_reference(x.data(), 1, 3, 3, w.data(), &bias, {1, 1, 3, 2, 1}, y.data());
  EXPECT_EQ(y, (std::vector<float>{1 + 2 + 4 + 5 + 0.5f, 2 + 3 + 5 + 6 + 0.5f, 4 + 5 + 7 + 8 + 0.5f,
                                   5 + 6 + 8 + 9 + 0.5f}));
}

TEST(BatchNormReference, IsTheInferenceFormula) {
  std::vector<float> x = {1.0f, -2.0f, 3.0f, 0.5f};  // two pixels × two channels
  const float gamma[] = {2.0f, 0.5f}, beta[] = {0.1f, -1.0f}, mean[] = {1.0f, 0.0f}, var[] = {4.0f, 0.25f};
  batch_norm_reference(x.data(), 2, 2, gamma, beta, mean, var, 0.0f);
  EXPECT_FLOAT_EQ(x[0], 0.1f);                   // (1−1)/2·2 + 0.1
  EXPECT_FLOAT_EQ(x[1], -2.0f / 0.5f * 0.5f - 1.0f);
  EXPECT_FLOAT_EQ(x[2], (3.0f - 1.0f) / 2.0f * 2.0f + 0.1f);
  EXPECT_FLOAT_EQ(x[3], 0.5f / 0.5f * 0.5f - 1.0f);
}

}  // namespace
}  // namespace clipkit::kernels
