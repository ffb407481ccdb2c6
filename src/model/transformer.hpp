// model/transformer.hpp — CLIP's residual attention blocks over packed sequences.
//
// Several sequences of different lengths are packed row after row into one matrix
// (rows × width) so every linear layer is one large GEMM; attention runs per
// sequence. `causal` applies the text tower's mask.
#pragma once

#include <cstddef>
#include <vector>

#include "kernels/ops.hpp"
#include "model/weights.hpp"

namespace clipkit::model {

struct Segment {
  size_t offset;  // first row
  size_t length;  // rows
};

// x: rows × width, updated in place through every block. The MLP width is each
// block's c_fc output size (4·width in CLIP; SigLIP's ratios are not integers).
// `eps`: the blocks' LayerNorm epsilon (1e-5 CLIP, 1e-6 SigLIP).
void run_transformer(std::vector<float>& x, size_t width, size_t heads,
                     const std::vector<BlockWeights>& blocks, const std::vector<Segment>& segments,
                     bool causal, kernels::Activation activation, float eps = 1e-5f);

// layer_norm over rows, split across the worker threads.
void parallel_layer_norm(const float* x, size_t rows, size_t width, const float* gamma,
                         const float* beta, float* y, float eps = 1e-5f);

// The public activation as the kernels' enum.
kernels::Activation kernel_activation(Activation a);

}  // namespace clipkit::model
