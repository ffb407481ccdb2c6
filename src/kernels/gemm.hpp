// kernels/gemm.hpp — the linear layer y = x · wᵀ + b, row-major.
//
//   linear(x, rows, in, w, out, bias, y);   // x: rows×in, w: out×in (PyTorch layout), y: rows×out
//
// `linear` runs on OpenBLAS (threads set by set_blas_threads); `linear_reference` is
// the plain scalar version the tests hold it to. `bias` may be null. With
// accumulate=true the result is added to y (for residual connections).
#pragma once

#include <cstddef>

namespace clipkit::kernels {

void linear(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias,
            float* y, bool accumulate = false);
void linear_reference(const float* x, size_t rows, size_t in, const float* w, size_t out,
                      const float* bias, float* y, bool accumulate = false);

// C (m×n) = A (m×k) · B (k×n), row-major, with leading dimensions.
void matmul(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m,
            size_t n, size_t k);

// The number of threads OpenBLAS uses (process-wide); 0 leaves it unchanged.
void set_blas_threads(int threads);
int blas_threads();
const char* blas_name();

}  // namespace clipkit::kernels
