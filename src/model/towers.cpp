#include "model/towers.hpp"

#include <algorithm>
#include <string>

#include "clipkit/error.hpp"
#include "kernels/ops.hpp"
#include "model/patches.hpp"
#include "model/transformer.hpp"

namespace clipkit::model {


std::vector<float> encode_images(const ClipWeights& w, const float* pixels, size_t count) {
  return encode_images(w.config, w.vision, pixels, count);
}

std::vector<float> encode_images(const ModelConfig& c, const VisionWeights& vision, const float* pixels,
                                 size_t count) {
  const size_t res = c.image_resolution, patch = c.vision_patch_size, grid = res / patch;
  const size_t width = c.vision_width, tokens = grid * grid + 1;
  const size_t rows = count * tokens;

  // conv1 (stride = kernel = patch, no bias) is a GEMM over unfolded patches.
  const std::vector<float> patches = unfold_patches(pixels, count, res, patch);
  std::vector<float> embedded(count * grid * grid * width);
  vision.patch_embed.forward(patches.data(), count * grid * grid, embedded.data());

  // [class, patches…] + positional embedding, then ln_pre.
  std::vector<float> x(rows * width);
  const float* pos = vision.positional_embedding.data();
  for (size_t n = 0; n < count; ++n) {
    float* seq = x.data() + n * tokens * width;
    for (size_t i = 0; i < width; ++i) seq[i] = vision.class_embedding[i] + pos[i];
    const float* src = embedded.data() + n * grid * grid * width;
    for (size_t t = 1; t < tokens; ++t)
      for (size_t i = 0; i < width; ++i) seq[t * width + i] = src[(t - 1) * width + i] + pos[t * width + i];
  }
  parallel_layer_norm(x.data(), rows, width, vision.ln_pre_weight.data(), vision.ln_pre_bias.data(), x.data());

  std::vector<Segment> segments;
  for (size_t n = 0; n < count; ++n) segments.push_back({n * tokens, tokens});
  run_transformer(x, width, c.vision_heads, vision.blocks, segments, /*causal=*/false,
                  kernel_activation(c.activation));

  // ln_post on the class token, then the projection (width × embed: y = x · proj).
  std::vector<float> cls(count * width), out(count * c.embed_dim);
  for (size_t n = 0; n < count; ++n)
    kernels::layer_norm(x.data() + n * tokens * width, 1, width, vision.ln_post_weight.data(),
                        vision.ln_post_bias.data(), cls.data() + n * width);
  vision.projection.forward(cls.data(), count, out.data());
  return out;
}

std::vector<float> encode_tokens(const ClipWeights& w, const int32_t* tokens, size_t count) {
  return encode_tokens(w.config, w.text, tokens, count);
}

std::vector<float> encode_tokens(const ModelConfig& c, const TextWeights& text, const int32_t* tokens,
                                 size_t count) {
  const size_t width = c.text_width, ctx = c.context_length;

  // Each row runs only up to its EOT: the mask is causal and only the EOT position
  // is read, so later positions cannot change the result.
  std::vector<Segment> segments;
  std::vector<size_t> eot_rows;
  size_t rows = 0;
  for (size_t n = 0; n < count; ++n) {
    const int32_t* row = tokens + n * ctx;
    const size_t eot = static_cast<size_t>(std::max_element(row, row + ctx) - row);  // OpenAI: argmax
    for (size_t i = 0; i < ctx; ++i)
      if (row[i] < 0 || row[i] >= c.vocab_size)
        throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(row[i]) + " at row " +
                                                     std::to_string(n) + ", position " + std::to_string(i) +
                                                     " is outside the vocabulary of " + std::to_string(c.vocab_size));
    segments.push_back({rows, eot + 1});
    rows += eot + 1;
    eot_rows.push_back(rows - 1);
  }

  std::vector<float> x(rows * width);
  for (size_t n = 0; n < count; ++n) {
    const int32_t* row = tokens + n * ctx;
    for (size_t t = 0; t < segments[n].length; ++t) {
      const float* emb = text.token_embedding.data() + static_cast<size_t>(row[t]) * width;
      const float* pos = text.positional_embedding.data() + t * width;
      float* dst = x.data() + (segments[n].offset + t) * width;
      for (size_t i = 0; i < width; ++i) dst[i] = emb[i] + pos[i];
    }
  }
  run_transformer(x, width, c.text_heads, text.blocks, segments, /*causal=*/true, kernel_activation(c.activation));

  std::vector<float> eot_features(count * width), out(count * c.embed_dim);
  for (size_t n = 0; n < count; ++n)
    kernels::layer_norm(x.data() + eot_rows[n] * width, 1, width, text.ln_final_weight.data(),
                        text.ln_final_bias.data(), eot_features.data() + n * width);
  text.projection.forward(eot_features.data(), count, out.data());
  return out;
}

}  // namespace clipkit::model
