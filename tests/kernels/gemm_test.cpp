#include "kernels/gemm.hpp"

#include <random>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace clipkit::kernels {
namespace {

std::vector<float> random_vector(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(Linear, MatchesScalarReference) {
  std::mt19937 rng(42);
  struct Shape { size_t rows, in, out; };
  for (Shape s : {Shape{1, 64, 32}, Shape{50, 128, 384}, Shape{7, 768, 3072}, Shape{3, 5, 1}}) {
    auto x = random_vector(s.rows * s.in, rng);
    auto w = random_vector(s.out * s.in, rng);
    auto b = random_vector(s.out, rng);
    for (bool accumulate : {false, true}) {
      for (const float* bias : {static_cast<const float*>(nullptr), static_cast<const float*>(b.data())}) {
        auto y = random_vector(s.rows * s.out, rng);
        auto y_ref = y;
        linear(x.data(), s.rows, s.in, w.data(), s.out, bias, y.data(), accumulate);
        linear_reference(x.data(), s.rows, s.in, w.data(), s.out, bias, y_ref.data(), accumulate);
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], y_ref[i], 1e-4 * std::sqrt(double(s.in)) + 1e-5)
              << "rows=" << s.rows << " in=" << s.in << " out=" << s.out << " index " << i
              << " accumulate=" << accumulate << " bias=" << (bias != nullptr);
        }
      }
    }
  }
}

TEST(Linear, ReferenceOnHandExample) {
  // x = [[1, 2]], w = [[1, 0], [0, 1], [2, 3]], b = [1, 1, 1] -> [2, 3, 9]
  std::vector<float> x = {1, 2}, w = {1, 0, 0, 1, 2, 3}, b = {1, 1, 1}, y(3);
  linear(x.data(), 1, 2, w.data(), 3, b.data(), y.data());
  EXPECT_EQ(y, (std::vector<float>{2, 3, 9}));
}

TEST(Matmul, SmallExample) {
  // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]
  std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8}, c(4);
  matmul(a.data(), 2, b.data(), 2, c.data(), 2, 2, 2, 2);
  EXPECT_EQ(c, (std::vector<float>{19, 22, 43, 50}));
}

}  // namespace
}  // namespace clipkit::kernels
