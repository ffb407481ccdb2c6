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

// x: rows × width, updated in place through every block.
void run_transformer(std::vector<float>& x, size_t width, size_t heads,
                     const std::vector<BlockWeights>& blocks, const std::vector<Segment>& segments,
                     bool causal, kernels::Activation activation);

// layer_norm over rows, split across the worker threads.
void parallel_layer_norm(const float* x, size_t rows, size_t width, const float* gamma,
                         const float* beta, float* y);

}  // namespace clipkit::model
