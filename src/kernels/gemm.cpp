#include "kernels/gemm.hpp"

#include <cblas.h>

#include <algorithm>

namespace clipkit::kernels {

void linear(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias,
            float* y, bool accumulate) {
  if (rows == 0 || out == 0) return;
  float beta = accumulate ? 1.0f : 0.0f;
  if (bias) {
    // Fold the bias into C so BLAS adds it in the same pass.
    for (size_t r = 0; r < rows; ++r) {
      float* row = y + r * out;
      if (accumulate) {
        for (size_t o = 0; o < out; ++o) row[o] += bias[o];
      } else {
        std::copy(bias, bias + out, row);
      }
    }
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(out),
              static_cast<int>(in), 1.0f, x, static_cast<int>(in), w, static_cast<int>(in), beta, y,
              static_cast<int>(out));
}

void linear_reference(const float* x, size_t rows, size_t in, const float* w, size_t out,
                      const float* bias, float* y, bool accumulate) {
  for (size_t r = 0; r < rows; ++r) {
    for (size_t o = 0; o < out; ++o) {
      double acc = bias ? bias[o] : 0.0;
      for (size_t i = 0; i < in; ++i) acc += double(x[r * in + i]) * w[o * in + i];
      float& dst = y[r * out + o];
      dst = accumulate ? dst + static_cast<float>(acc) : static_cast<float>(acc);
    }
  }
}

void matmul(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m,
            size_t n, size_t k) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c,
              static_cast<int>(ldc));
}

void set_blas_threads(int threads) {
  if (threads > 0) openblas_set_num_threads(threads);
}
int blas_threads() { return openblas_get_num_threads(); }
const char* blas_name() { return "OpenBLAS"; }

}  // namespace clipkit::kernels
