#include "kernels/linear.hpp"

#include <cmath>
#include <random>
#include <string>
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

std::string describe(const Epilogue& e) {
  if (e.accumulate) return "residual";
  if (!e.activation) return "plain";
  switch (*e.activation) {
    case Activation::gelu: return "gelu";
    case Activation::gelu_tanh: return "gelu_tanh";
    case Activation::quick_gelu: break;
  }
  return "quick_gelu";
}

TEST(PackedLinear, EveryPrecisionLayoutAndEpilogueMatchesReference) {
  struct Case {
    Precision precision;
    testing::Tolerance tolerance;
  };
  const Case cases[] = {{Precision::fp32, kTolerance.linear_fp32},
                        {Precision::bf16, kTolerance.linear_bf16},
                        {Precision::int8, kTolerance.linear_int8}};
  const Epilogue epilogues[] = {Epilogue{}, Epilogue::residual(), Epilogue::activated(Activation::gelu),
                                Epilogue::activated(Activation::quick_gelu),
                                Epilogue::activated(Activation::gelu_tanh)};
  for (const Case& c : cases) {
    for (bool transposed : {false, true}) {
      for (const Epilogue& e : epilogues) {
        const std::string op = std::string("linear ") + to_string(c.precision) +
                               (transposed ? " in×out " : " out×in ") + describe(e);
        check_op(op, {{"rows", 1, 64}, {"in", 1, 800}, {"out", 1, 400}}, c.tolerance,
                 [&](const OpShape& s, std::mt19937& rng) {
                   const size_t rows = s["rows"], in = s["in"], out = s["out"];
                   auto x = random_floats(rows * in, rng);
                   auto w = random_floats(out * in, rng, 1.0f / std::sqrt(float(in)));
                   auto b = random_floats(out, rng);
                   auto y = random_floats(rows * out, rng);
                   std::vector<float> packed = w;
                   if (transposed) {
                     for (size_t o = 0; o < out; ++o)
                       for (size_t i = 0; i < in; ++i) packed[i * out + o] = w[o * in + i];
                   }
                   OpOutputs result{y, y};
                   Linear(packed.data(), in, out, b.data(), c.precision, transposed)
                       .forward(x.data(), rows, result.fast.data(), e);
                   linear_reference(x.data(), rows, in, w.data(), out, b.data(), result.reference.data(), e);
                   return result;
                 },
                 /*random=*/4);
      }
    }
  }
}

TEST(PackedLinear, NullBiasIsZeroBias) {
  check_op("linear fp32 no bias", {{"rows", 1, 20}, {"in", 1, 300}, {"out", 1, 300}}, kTolerance.linear_fp32,
           [](const OpShape& s, std::mt19937& rng) {
             const size_t rows = s["rows"], in = s["in"], out = s["out"];
             auto x = random_floats(rows * in, rng);
             auto w = random_floats(out * in, rng, 1.0f / std::sqrt(float(in)));
             OpOutputs result{std::vector<float>(rows * out), std::vector<float>(rows * out)};
             Linear(w.data(), in, out, nullptr, Precision::fp32).forward(x.data(), rows, result.fast.data());
             linear_reference(x.data(), rows, in, w.data(), out, nullptr, result.reference.data());
             return result;
           });
}

TEST(PackedLinear, PackedWeightsAreSmallerInLowerPrecision) {
  std::mt19937 rng(3);
  auto w = random_floats(512 * 512, rng);
  const size_t fp32 = Linear(w.data(), 512, 512, nullptr, Precision::fp32).weight_bytes();
  const size_t bf16 = Linear(w.data(), 512, 512, nullptr, Precision::bf16).weight_bytes();
  const size_t int8 = Linear(w.data(), 512, 512, nullptr, Precision::int8).weight_bytes();
  EXPECT_GE(fp32, 512u * 512 * 4);
  EXPECT_LE(bf16, fp32 / 2 + 4096);
  EXPECT_LE(int8, fp32 / 4 + 8192);
}

TEST(PackedLinear, Int8ZeroRowStaysZero) {
  // A row of zeros has scale 0: it must give exactly the bias, not NaN.
  std::vector<float> w(4 * 8, 0.5f), b = {1, 2, 3, 4}, x(8, 0.0f), y(4);
  Linear(w.data(), 8, 4, b.data(), Precision::int8).forward(x.data(), 1, y.data());
  EXPECT_EQ(y, b);
}

}  // namespace
}  // namespace clipkit::kernels
