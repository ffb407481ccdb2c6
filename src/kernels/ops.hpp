// kernels/ops.hpp — element-wise and row-wise operations of a CLIP transformer:
// LayerNorm (eps 1e-5 by default, as torch.nn.LayerNorm), GELU (exact, erf), GELU's tanh
// approximation (SigLIP), QuickGELU (x·σ(1.702x), OpenAI's), softmax over a row. All in place or out-of-place on
// row-major float buffers; single-threaded (callers split rows).
#pragma once

#include <cstddef>

namespace clipkit::kernels {

// gelu_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), torch's GELU(approximate="tanh").
enum class Activation { quick_gelu, gelu, gelu_tanh };

// y[r] = (x[r] - mean) / sqrt(var + eps) * gamma + beta for each of `rows` rows of `width`.
void layer_norm(const float* x, size_t rows, size_t width, const float* gamma, const float* beta,
                float* y, float eps = 1e-5f);

void activate(float* x, size_t n, Activation activation);

// Numerically stable softmax of one row in place.
void softmax(float* x, size_t n);

}  // namespace clipkit::kernels
