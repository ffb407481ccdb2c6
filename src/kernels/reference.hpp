// kernels/reference.hpp — the plain scalar twin of every optimised kernel: textbook
// loops, double accumulation, no SIMD, no BLAS, no oneDNN. They define what the fast
// kernels compute, and the tests hold each fast kernel to its twin on random shapes
// (tests/kernels/op_check.hpp). Too slow for inference; never called by the model.
//
//   linear_reference(x, rows, in, w, out, bias, y, Epilogue::residual());
//   layer_norm_reference(x, rows, width, gamma, beta, y);
//   attention_reference(qkv, len, width, heads, causal, out);
//
// Same layouts and arguments as the fast versions (row-major); pure functions.
#pragma once

#include <cstddef>

#include "kernels/conv.hpp"
#include "kernels/linear.hpp"

namespace clipkit::kernels {

// Twin of Linear::forward: y (op)= act(x·wᵀ + b). x: rows × in, w: out × in (PyTorch
// layout), bias: `out` floats or null, y: rows × out.
void linear_reference(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias,
                      float* y, const Epilogue& epilogue = {});

// Twin of layer_norm (kernels/ops.hpp): mean and variance in double.
void layer_norm_reference(const float* x, size_t rows, size_t width, const float* gamma, const float* beta, float* y,
                          float eps = 1e-5f);

// Twin of softmax (kernels/ops.hpp): one row in place, in double.
void softmax_reference(float* x, size_t n);

// Twin of attention (kernels/attention.hpp): the full score matrix per head, a -inf
// causal mask, softmax, times V. qkv: len × 3·width, out: len × width.
void attention_reference(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out);

// Twin of Conv2d::forward: the six loops, zero padding. x: count × height × width ×
// shape.in (NHWC), w: out × in × k × k (OIHW), bias: `out` floats or null, y: NHWC.
void conv2d_reference(const float* x, size_t count, size_t height, size_t width, const float* w, const float* bias,
                      const ConvShape& shape, float* y, const ConvEpilogue& epilogue = {});

// Twin of avg_pool (kernels/conv.hpp), in double.
void avg_pool_reference(const float* x, size_t count, size_t height, size_t width, size_t channels, size_t factor,
                        float* y);

// BatchNorm in inference form on NHWC rows of `channels`, in place:
// x = (x − mean) / sqrt(var + eps) · gamma + beta (torch.nn.BatchNorm2d.eval()). No fast
// twin: a model folds it into the convolution before it (model/resnet).
void batch_norm_reference(float* x, size_t pixels, size_t channels, const float* gamma, const float* beta,
                          const float* mean, const float* var, float eps = 1e-5f);

// Twins of matvec and matmul_nt (kernels/blas.hpp).
void matvec_reference(const float* a, size_t rows, size_t cols, const float* x, float* y);
void matmul_nt_reference(const float* a, size_t lda, const float* b, size_t ldb, float* c, size_t ldc, size_t m,
                         size_t n, size_t k);

}  // namespace clipkit::kernels
