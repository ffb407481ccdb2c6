// kernels/blas.hpp — the BLAS (OpenBLAS) matrix products clipkit uses outside the
// transformer: the one place that includes cblas.h. Row-major, fp32.
//
//   matvec(vectors, count, dim, query, scores);           // scores[i] = <vectors row i, query>
//   matmul_nt(a, dim, b, dim, c, cols, rows, cols, dim);   // c = a · bᵀ
//
// Sizes are size_t; calls larger than BLAS's int sizes are split (matvec) or refused
// with Error(invalid_argument) (matmul_nt). The plain scalar twins are
// matvec_reference / matmul_nt_reference (kernels/reference.hpp).
// Thread-safety: the products may run concurrently; set_blas_threads is process-wide.
#pragma once

#include <cstddef>

namespace clipkit::kernels {

// y[i] = Σ_j a[i·cols + j]·x[j] for i < rows. a: rows × cols, x: cols, y: rows.
void matvec(const float* a, size_t rows, size_t cols, const float* x, float* y);

// c[i·ldc + j] = Σ_p a[i·lda + p]·b[j·ldb + p] for i < m, j < n, p < k: C = A·Bᵀ with
// A m × k and B n × k (rows of B are the vectors to compare against).
void matmul_nt(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m, size_t n,
               size_t k);

// The number of threads OpenBLAS uses (process-wide); 0 leaves it unchanged.
void set_blas_threads(int threads);
int blas_threads();
const char* blas_name();

}  // namespace clipkit::kernels
