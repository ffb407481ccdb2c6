// SigLIP's forward passes (see siglip.hpp for the math and its sources).
#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/attention.hpp"
#include "kernels/ops.hpp"
#include "model/patches.hpp"
#include "model/siglip/siglip.hpp"
#include "model/transformer.hpp"

namespace clipkit::model::siglip {

void pack(Weights& w, kernels::Precision precision) {
  const Config& c = w.config;
  const size_t vw = c.vision_width, tw = c.text_width, patch_len = 3 * c.patch_size * c.patch_size;
  constexpr auto fp32 = kernels::Precision::fp32;
  VisionWeights& v = w.vision;
  v.patch_embed = kernels::Linear(v.patch_weight.data(), patch_len, vw, v.patch_bias.data(), fp32);
  v.kv = kernels::Linear(v.kv_weight.data(), vw, 2 * vw, v.kv_bias.data(), fp32);
  v.proj = kernels::Linear(v.proj_weight.data(), vw, vw, v.proj_bias.data(), fp32);
  v.fc1 = kernels::Linear(v.fc1_weight.data(), vw, c.head_mlp, v.fc1_bias.data(), fp32);
  v.fc2 = kernels::Linear(v.fc2_weight.data(), c.head_mlp, vw, v.fc2_bias.data(), fp32);
  // The probe's query is the same for every image: computed once.
  v.probe_q.assign(vw, 0.0f);
  kernels::Linear(v.q_weight.data(), vw, vw, v.q_bias.data(), fp32).forward(v.probe.data(), 1, v.probe_q.data());
  TextWeights& t = w.text;
  t.head = kernels::Linear(t.head_weight.data(), tw, c.embed_dim, t.head_bias.empty() ? nullptr : t.head_bias.data(),
                           fp32);
  size_t bytes = v.patch_embed.weight_bytes() + v.kv.weight_bytes() + v.proj.weight_bytes() + v.fc1.weight_bytes() +
                 v.fc2.weight_bytes() + t.head.weight_bytes();
  for (Buffer* b : {&v.patch_weight, &v.patch_bias, &v.q_weight, &v.q_bias, &v.kv_weight, &v.kv_bias, &v.proj_weight,
                    &v.proj_bias, &v.fc1_weight, &v.fc1_bias, &v.fc2_weight, &v.fc2_bias, &t.head_weight, &t.head_bias})
    Buffer().swap(*b);
  for (auto& b : v.blocks) {
    pack_block(b, vw, precision);
    bytes += block_bytes(b);
  }
  for (auto& b : t.blocks) {
    pack_block(b, tw, precision);
    bytes += block_bytes(b);
  }
  bytes += (t.token_embedding.size() + t.positional_embedding.size() + v.pos_embed.size() + v.probe_q.size()) *
           sizeof(float);
  w.weight_bytes = bytes;
}

std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count) {
  const Config& c = w.config;
  const VisionWeights& v = w.vision;
  const size_t res = c.image_size, patch = c.patch_size, grid = res / patch, tokens = grid * grid;
  const size_t width = c.vision_width, rows = count * tokens;

  // The patch conv (stride = kernel, with bias) as a GEMM over unfolded patches.
  const std::vector<float> patches = unfold_patches(pixels, count, res, patch);
  std::vector<float> x(rows * width);
  v.patch_embed.forward(patches.data(), rows, x.data());
  for (size_t n = 0; n < count; ++n) {
    float* seq = x.data() + n * tokens * width;
    for (size_t i = 0; i < tokens * width; ++i) seq[i] += v.pos_embed[i];
  }

  std::vector<Segment> segments;
  for (size_t n = 0; n < count; ++n) segments.push_back({n * tokens, tokens});
  run_transformer(x, width, c.vision_heads, v.blocks, segments, /*causal=*/false,
                  kernel_activation(c.vision_activation), c.vision_eps);
  parallel_layer_norm(x.data(), rows, width, v.norm_weight.data(), v.norm_bias.data(), x.data(), c.vision_eps);

  // MAP head: the probe's query attends over each image's tokens, head by head.
  std::vector<float> kv(rows * 2 * width);
  v.kv.forward(x.data(), rows, kv.data());
  std::vector<float> pooled(count * width);
  kernels::pool_attention(v.probe_q.data(), /*q_stride=*/0, kv.data(), count, tokens, width, c.vision_heads,
                          pooled.data());
  std::vector<float> y(count * width), h(count * width), mlp(count * c.head_mlp);
  v.proj.forward(pooled.data(), count, y.data());
  kernels::layer_norm(y.data(), count, width, v.head_norm_weight.data(), v.head_norm_bias.data(), h.data(),
                      c.vision_eps);
  v.fc1.forward(h.data(), count, mlp.data(), kernels::Epilogue::activated(kernel_activation(c.head_activation)));
  v.fc2.forward(mlp.data(), count, y.data(), kernels::Epilogue::residual());
  return y;
}

namespace {

// One pre-norm block (as run_transformer's) for the last row of each of `count`
// sequences of `ctx` rows in x; returns those rows (count × width).
std::vector<float> last_block(const std::vector<float>& x, size_t count, size_t ctx, size_t width, size_t heads,
                              const BlockWeights& b, kernels::Activation activation, float eps) {
  const size_t rows = count * ctx, head_dim = width / heads;
  std::vector<float> h(rows * width), qkv(rows * 3 * width);
  parallel_layer_norm(x.data(), rows, width, b.ln_1_weight.data(), b.ln_1_bias.data(), h.data(), eps);
  b.in_proj.forward(h.data(), rows, qkv.data());
  // The last query of each sequence against its keys, in the attention kernel's order:
  // each score sums (q·scale)·k over d from 0; the output sums p·v over keys from 0.
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<float> attn(count * width);
  core::parallel_for(count * heads, [&](size_t begin, size_t end) {
    std::vector<float> scores(ctx);
    for (size_t task = begin; task < end; ++task) {
      const size_t n = task / heads, head = task % heads;
      const float* seq = qkv.data() + n * ctx * 3 * width + head * head_dim;
      const float* q = seq + (ctx - 1) * 3 * width;
      for (size_t j = 0; j < ctx; ++j) {
        const float* k = seq + j * 3 * width + width;
        float dot = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) dot += (q[d] * scale) * k[d];
        scores[j] = dot;
      }
      kernels::softmax(scores.data(), ctx);
      float* o = attn.data() + n * width + head * head_dim;
      std::fill(o, o + head_dim, 0.0f);
      for (size_t j = 0; j < ctx; ++j) {
        const float* v = seq + j * 3 * width + 2 * width;
        for (size_t d = 0; d < head_dim; ++d) o[d] += scores[j] * v[d];
      }
    }
  });
  std::vector<float> y(count * width), mlp(count * b.c_fc.out());
  for (size_t n = 0; n < count; ++n)
    std::copy_n(x.data() + (n * ctx + ctx - 1) * width, width, y.data() + n * width);
  b.out_proj.forward(attn.data(), count, y.data(), kernels::Epilogue::residual());
  std::vector<float> h2(count * width);
  kernels::layer_norm(y.data(), count, width, b.ln_2_weight.data(), b.ln_2_bias.data(), h2.data(), eps);
  b.c_fc.forward(h2.data(), count, mlp.data(), kernels::Epilogue::activated(activation));
  b.c_proj.forward(mlp.data(), count, y.data(), kernels::Epilogue::residual());
  return y;
}

}  // namespace

std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count) {
  const Config& c = w.config;
  const TextWeights& t = w.text;
  const size_t width = c.text_width, ctx = c.context_length, rows = count * ctx;
  // No mask and the last position is read: every position matters, pads included.
  std::vector<float> x(rows * width);
  for (size_t n = 0; n < count; ++n) {
    for (size_t i = 0; i < ctx; ++i) {
      const int32_t id = tokens[n * ctx + i];
      if (id < 0 || id >= c.vocab_size)
        throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(id) + " at row " + std::to_string(n) +
                                                     ", position " + std::to_string(i) +
                                                     " is outside the vocabulary of " + std::to_string(c.vocab_size));
      const float* emb = t.token_embedding.data() + static_cast<size_t>(id) * width;
      const float* pos = t.positional_embedding.data() + i * width;
      float* dst = x.data() + (n * ctx + i) * width;
      for (size_t k = 0; k < width; ++k) dst[k] = emb[k] + pos[k];
    }
  }
  std::vector<Segment> segments;
  for (size_t n = 0; n < count; ++n) segments.push_back({n * ctx, ctx});
  const std::span<const BlockWeights> blocks(t.blocks);
  const kernels::Activation activation = kernel_activation(c.text_activation);
  run_transformer(x, width, c.text_heads, blocks.first(blocks.size() - 1), segments, /*causal=*/false, activation,
                  c.text_eps);
  // Only the last position leaves the tower, so the last block runs its attention for
  // that one query (over every position's keys and values) and its out_proj and MLP on
  // that one row: the other 63 rows' outputs would be thrown away (a sixth of the work).
  std::vector<float> last = last_block(x, count, ctx, width, c.text_heads, blocks.back(), activation, c.text_eps);
  std::vector<float> out(count * c.embed_dim);
  kernels::layer_norm(last.data(), count, width, t.ln_final_weight.data(), t.ln_final_bias.data(), last.data(),
                      c.text_eps);
  t.head.forward(last.data(), count, out.data());
  return out;
}

}  // namespace clipkit::model::siglip
