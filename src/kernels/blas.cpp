#include "kernels/blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <string>

#include "clipkit/error.hpp"

namespace clipkit::kernels {

void matvec(const float* a, size_t rows, size_t cols, const float* x, float* y) {
  if (rows == 0 || cols == 0) {
    std::fill(y, y + rows, 0.0f);
    return;
  }
  if (cols > static_cast<size_t>(INT_MAX))
    throw Error(ErrorCode::invalid_argument, "matvec: " + std::to_string(cols) + " columns exceed BLAS's int sizes");
  // sgemv takes int sizes: go in chunks of rows so that a huge collection cannot overflow.
  // Each output row is one dot product, so the chunking does not change any result.
  const size_t chunk = static_cast<size_t>(INT_MAX) / cols;
  for (size_t begin = 0; begin < rows; begin += chunk) {
    const size_t n = std::min(chunk, rows - begin);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(cols), 1.0f, a + begin * cols,
                static_cast<int>(cols), x, 1, 0.0f, y + begin, 1);
  }
}

void matmul_nt(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m, size_t n,
               size_t k) {
  if (m == 0 || n == 0) return;
  for (size_t v : {lda, ldb, ldc, m, n, k})
    if (v > static_cast<size_t>(INT_MAX))
      throw Error(ErrorCode::invalid_argument, "matmul_nt: " + std::to_string(m) + "×" + std::to_string(k) + " · (" +
                                                   std::to_string(n) + "×" + std::to_string(k) +
                                                   ")ᵀ exceeds BLAS's int sizes");
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
}

void set_blas_threads(int threads) {
  if (threads > 0) openblas_set_num_threads(threads);
}
int blas_threads() { return openblas_get_num_threads(); }
const char* blas_name() { return "OpenBLAS"; }

}  // namespace clipkit::kernels
