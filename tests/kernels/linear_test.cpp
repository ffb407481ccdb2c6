#include "kernels/linear.hpp"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/gemm.hpp"

namespace clipkit::kernels {
namespace {

std::vector<float> random_vector(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// The scalar reference for y (op)= act(x·wᵀ + b).
std::vector<float> reference(const std::vector<float>& x, size_t rows, size_t in, const std::vector<float>& w,
                             size_t out, const std::vector<float>& b, std::vector<float> y, const Epilogue& e) {
  std::vector<float> r(rows * out);
  linear_reference(x.data(), rows, in, w.data(), out, b.data(), r.data());
  if (e.activation) activate(r.data(), r.size(), *e.activation);
  for (size_t i = 0; i < r.size(); ++i) y[i] = e.accumulate ? y[i] + r[i] : r[i];
  return y;
}

double row_cosine(const float* a, const float* b, size_t n) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < n; ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

struct Tolerance {
  Precision precision;
  double max_abs;     // per element, relative to sqrt(in)
  double min_cosine;  // per row
};

TEST(PackedLinear, EveryPrecisionAndEpilogueMatchesReference) {
  std::mt19937 rng(11);
  const Tolerance tolerances[] = {{Precision::fp32, 2e-5, 0.9999999}, {Precision::bf16, 0.03, 0.9995},
                                  {Precision::int8, 0.08, 0.995}};
  const Epilogue epilogues[] = {Epilogue{}, Epilogue::residual(), Epilogue::activated(Activation::gelu),
                                Epilogue::activated(Activation::quick_gelu)};
  for (size_t rows : {1u, 7u, 50u, 160u}) {
    for (auto [in, out] : {std::pair<size_t, size_t>{64, 256}, {768, 96}, {130, 33}}) {
      auto x = random_vector(rows * in, rng);
      auto w = random_vector(out * in, rng, 1.0f / std::sqrt(float(in)));
      auto b = random_vector(out, rng);
      for (const auto& t : tolerances) {
        for (bool transposed : {false, true}) {
          std::vector<float> wt = w;
          if (transposed) {
            for (size_t o = 0; o < out; ++o)
              for (size_t i = 0; i < in; ++i) wt[i * out + o] = w[o * in + i];
          }
          Linear layer(wt.data(), in, out, b.data(), t.precision, transposed);
          for (const auto& e : epilogues) {
            auto y = random_vector(rows * out, rng);
            auto want = reference(x, rows, in, w, out, b, y, e);
            layer.forward(x.data(), rows, y.data(), e);
            for (size_t r = 0; r < rows; ++r) {
              const double cos = row_cosine(y.data() + r * out, want.data() + r * out, out);
              ASSERT_GE(cos, t.min_cosine) << to_string(t.precision) << " rows=" << rows << " in=" << in
                                           << " out=" << out << " row " << r << " accumulate=" << e.accumulate
                                           << " activation=" << e.activation.has_value();
            }
            if (t.precision == Precision::fp32) {
              for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], want[i], t.max_abs) << "index " << i;
            }
          }
        }
      }
    }
  }
}

TEST(PackedLinear, PackedWeightsAreSmallerInLowerPrecision) {
  std::mt19937 rng(3);
  auto w = random_vector(512 * 512, rng);
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
