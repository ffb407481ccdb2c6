#include "kernels/blas.hpp"

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

TEST(Matvec, MatchesReference) {
  check_op("matvec", {{"rows", 1, 3000}, {"cols", 1, 700}}, kTolerance.matvec, [](const OpShape& s, std::mt19937& rng) {
    const size_t rows = s["rows"], cols = s["cols"];
    auto a = random_floats(rows * cols, rng, 1.0f / std::sqrt(float(cols)));
    auto x = random_floats(cols, rng);
    OpOutputs result{std::vector<float>(rows), std::vector<float>(rows)};
    matvec(a.data(), rows, cols, x.data(), result.fast.data());
    matvec_reference(a.data(), rows, cols, x.data(), result.reference.data());
    return result;
  });
}

TEST(MatmulNT, MatchesReferenceWithPaddedRows) {
  check_op("matmul_nt", {{"m", 1, 130}, {"n", 1, 300}, {"k", 1, 520}, {"pad", 0, 5}}, kTolerance.matmul,
           [](const OpShape& s, std::mt19937& rng) {
             const size_t m = s["m"], n = s["n"], k = s["k"], pad = s["pad"];
             const size_t lda = k + pad, ldb = k + 2 * pad, ldc = n + pad;
             auto a = random_floats(m * lda, rng, 1.0f / std::sqrt(float(k)));
             auto b = random_floats(n * ldb, rng);
             // Padding of c stays as it was: compare whole buffers.
             auto c = random_floats(m * ldc, rng);
             OpOutputs result{c, c};
             matmul_nt(a.data(), lda, b.data(), ldb, result.fast.data(), ldc, m, n, k);
             matmul_nt_reference(a.data(), lda, b.data(), ldb, result.reference.data(), ldc, m, n, k);
             return result;
           });
}

TEST(Blas, NamesItsLibrary) { EXPECT_STREQ(blas_name(), "OpenBLAS"); }

}  // namespace
}  // namespace clipkit::kernels
