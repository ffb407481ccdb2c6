// tests/kernels/op_check.hpp — the one harness that holds every fast kernel to its
// plain scalar twin (kernels/reference.hpp), after ncnn's tests/testutil.h and ggml's
// test-backend-ops: random shapes (odd sizes forced in), both versions run on the same
// random inputs, outputs compared element by element with the op's tolerance. A
// failure names the op, the shape, the largest error and the first index out of
// tolerance with both values.
//
//   check_op("layer_norm", {{"rows", 1, 9}, {"width", 1, 800}}, kTolerance.layer_norm,
//            [](const OpShape& s, std::mt19937& rng) {
//              ... run layer_norm and layer_norm_reference on s["rows"] × s["width"] ...
//              return OpOutputs{fast, reference};
//            });
//
// Fixed seeds: a run is reproducible, and the failing shape is printed.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace clipkit::kernels::testing {

// An element passes when |fast - reference| <= max_abs + max_rel·|reference|.
struct Tolerance {
  double max_abs;
  double max_rel;
};

// Every op's tolerance, in one place. Inputs are scaled so outputs are O(1) (see the
// tests); fp32 kernels differ from the double twins by rounding only, bf16 / int8 by
// their documented quantization (kernels/linear.hpp).
struct Tolerances {
  Tolerance linear_fp32{2e-5, 1e-5};
  Tolerance linear_bf16{0.03, 0.01};
  Tolerance linear_int8{0.08, 0.02};
  Tolerance layer_norm{2e-5, 1e-5};
  Tolerance softmax{1e-7, 1e-5};
  Tolerance attention{1e-5, 1e-5};
  Tolerance matvec{1e-5, 1e-5};
  Tolerance matmul{1e-5, 1e-5};
  Tolerance conv_fp32{2e-5, 1e-5};
  Tolerance conv_bf16{0.03, 0.01};
  Tolerance avg_pool{1e-6, 1e-6};
};
inline constexpr Tolerances kTolerance{};

// One dimension of an op's shape and the range its random draws come from.
struct Dim {
  std::string name;
  size_t min, max;
};

// A drawn shape: named sizes, printed as "rows=7 in=130 out=33".
struct OpShape {
  std::vector<std::pair<std::string, size_t>> dims;

  size_t operator[](std::string_view name) const {
    for (const auto& [n, v] : dims)
      if (n == name) return v;
    ADD_FAILURE() << "op shape has no dimension '" << name << "'";
    return 0;
  }
  std::string str() const {
    std::string s;
    for (const auto& [n, v] : dims) s += (s.empty() ? "" : " ") + n + "=" + std::to_string(v);
    return s;
  }
};

struct OpOutputs {
  std::vector<float> fast, reference;
};

// The shapes an op is checked on: every dimension at its minimum, every one at its
// maximum, then `random` draws, every other one with all sizes forced odd (where the
// range allows) so that vector tails and unaligned rows are always covered.
inline std::vector<OpShape> op_shapes(const std::vector<Dim>& dims, size_t random, uint32_t seed) {
  std::vector<OpShape> shapes(2);
  for (const Dim& d : dims) {
    shapes[0].dims.emplace_back(d.name, d.min);
    shapes[1].dims.emplace_back(d.name, d.max);
  }
  std::mt19937 rng(seed);
  for (size_t i = 0; i < random; ++i) {
    OpShape s;
    for (const Dim& d : dims) {
      size_t v = std::uniform_int_distribution<size_t>(d.min, d.max)(rng);
      if (i % 2 == 0 && v % 2 == 0) v = v + 1 <= d.max ? v + 1 : (v > d.min ? v - 1 : v);
      s.dims.emplace_back(d.name, v);
    }
    shapes.push_back(std::move(s));
  }
  return shapes;
}

// Compares a fast output with its reference under `tolerance`; `what` leads the message.
inline ::testing::AssertionResult outputs_match(const std::string& what, const OpOutputs& out,
                                                const Tolerance& tolerance) {
  if (out.fast.size() != out.reference.size())
    return ::testing::AssertionFailure() << what << ": fast output has " << out.fast.size()
                                         << " elements, reference " << out.reference.size();
  size_t bad = 0, first_bad = 0, worst = 0;
  double max_err = 0;
  for (size_t i = 0; i < out.fast.size(); ++i) {
    const double ref = out.reference[i];
    const double err = std::fabs(double(out.fast[i]) - ref);
    const bool ok = err <= tolerance.max_abs + tolerance.max_rel * std::fabs(ref);  // false for NaN
    if (!ok && bad++ == 0) first_bad = i;
    if (!(err <= max_err)) {
      max_err = err;
      worst = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream m;
  m.precision(9);
  m << what << ": " << bad << " of " << out.fast.size() << " elements out of tolerance (|fast - ref| <= "
    << tolerance.max_abs << " + " << tolerance.max_rel << "·|ref|); max error " << max_err << " at index " << worst
    << "; first differing index " << first_bad << ": fast " << out.fast[first_bad] << ", reference "
    << out.reference[first_bad];
  return ::testing::AssertionFailure() << m.str();
}

// Runs `run` (which draws inputs from the rng, runs both versions and returns both
// outputs) on every shape of op_shapes(dims, random, seed); stops at the first failure.
inline void check_op(const std::string& op, const std::vector<Dim>& dims, const Tolerance& tolerance,
                     const std::function<OpOutputs(const OpShape&, std::mt19937&)>& run, size_t random = 10,
                     uint32_t seed = 1234) {
  std::mt19937 rng(seed);
  for (const OpShape& shape : op_shapes(dims, random, seed)) {
    const OpOutputs out = run(shape, rng);
    const auto result = outputs_match(op + " [" + shape.str() + "]", out, tolerance);
    EXPECT_TRUE(result);
    if (!result) return;
  }
}

// n floats from N(0, scale²).
inline std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

}  // namespace clipkit::kernels::testing
