// kernels/attention.hpp — multi-head scaled dot-product attention over one sequence,
// reading the packed q|k|v rows that CLIP's in_proj produces.
//
//   attention(qkv, len, width, heads, causal, out);
//   // qkv: len × 3·width (q, k, v side by side, as in_proj_weight's row order)
//   // out: len × width (heads concatenated), ready for out_proj
//
// causal=true masks key j > query i (the text tower). Single-threaded; callers run
// sequences (and heads) in parallel.
#pragma once

#include <cstddef>

namespace clipkit::kernels {

void attention(const float* qkv, size_t len, size_t width, size_t heads, bool causal, float* out);

// Scratch floats attention_head needs for a sequence of `len`.
size_t attention_scratch_floats(size_t len, size_t head_dim);

// One head; scratch: attention_scratch_floats(len, head_dim) floats.
void attention_head(const float* qkv, size_t len, size_t width, size_t head, size_t head_dim,
                    bool causal, float* out, float* scratch);

// Attention pooling: one query per sequence and head over that sequence's `len` keys,
// softmax(q·kᵀ/√d)·v (CLIP ResNet's AttentionPool2d, SigLIP's MAP head). q: `count` rows
// of `width` floats, q_stride floats apart (0: one query shared by every sequence); kv:
// count × len × 2·width (each row its key, then its value); out: count × width (heads
// concatenated). Parallel over sequences × heads; the twin is row 0 of attention().
void pool_attention(const float* q, size_t q_stride, const float* kv, size_t count, size_t len, size_t width,
                    size_t heads, float* out);

}  // namespace clipkit::kernels
