// Chinese-CLIP's forward passes: the ViT is OpenAI's (model/towers.cpp); the BERT text
// tower is here (cn_clip/clip/modeling_bert.py: BertEmbeddings, post-norm BertLayer).
#include <algorithm>
#include <string>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/attention.hpp"
#include "kernels/ops.hpp"
#include "model/chinese_clip/chinese_clip.hpp"
#include "model/towers.hpp"
#include "model/transformer.hpp"

namespace clipkit::model::chinese_clip {

namespace {

constexpr int32_t kPadId = 0;  // cn_clip: _tokenizer.vocab["[PAD]"], and tokenize pads with 0

}  // namespace

std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count) {
  return model::encode_images(w.config.vision, w.vision, pixels, count);
}

std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count) {
  const Config& c = w.config;
  const size_t width = c.text_width, ctx = c.context_length, heads = c.text_heads, head_dim = width / heads;

  // cn_clip adds −10000 to the scores of pad keys: exp() of that is 0 in fp32, so a pad
  // position never contributes to another, and only position 0 is read. Each row keeps
  // its non-pad positions (with their own position ids) as one packed segment. A row of
  // pads only has every key masked alike, which is no mask: it keeps every position.
  std::vector<Segment> segments;
  std::vector<int32_t> ids, positions;
  for (size_t n = 0; n < count; ++n) {
    const int32_t* row = tokens + n * ctx;
    for (size_t i = 0; i < ctx; ++i)
      if (row[i] < 0 || row[i] >= c.vocab_size)
        throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(row[i]) + " at row " +
                                                     std::to_string(n) + ", position " + std::to_string(i) +
                                                     " is outside the vocabulary of " + std::to_string(c.vocab_size));
    const bool all_pad = std::all_of(row, row + ctx, [](int32_t id) { return id == kPadId; });
    if (!all_pad && row[0] == kPadId)
      throw Error(ErrorCode::invalid_argument, "row " + std::to_string(n) +
                                                   " starts with the pad id 0 but has other tokens; Chinese-CLIP "
                                                   "rows start with [CLS]");
    const size_t offset = ids.size();
    for (size_t i = 0; i < ctx; ++i) {
      if (all_pad || row[i] != kPadId) {
        ids.push_back(row[i]);
        positions.push_back(static_cast<int32_t>(i));
      }
    }
    segments.push_back({offset, ids.size() - offset});
  }
  const size_t rows = ids.size();

  // Embeddings: word + position + token type 0, LayerNorm.
  const TextWeights& t = w.text;
  std::vector<float> x(rows * width);
  core::parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* word = t.word_embeddings.data() + static_cast<size_t>(ids[r]) * width;
      const float* pos = t.position_embeddings.data() + static_cast<size_t>(positions[r]) * width;
      float* dst = x.data() + r * width;
      for (size_t i = 0; i < width; ++i) dst[i] = word[i] + pos[i] + t.token_type_0[i];
    }
  });
  parallel_layer_norm(x.data(), rows, width, t.embedding_norm_weight.data(), t.embedding_norm_bias.data(), x.data(),
                      c.text_eps);

  size_t max_len = 0;
  for (const Segment& s : segments) max_len = std::max(max_len, s.length);
  std::vector<float> qkv(rows * 3 * width), attn(rows * width), h(rows * width),
      mlp(rows * static_cast<size_t>(c.text_intermediate));
  const kernels::Activation activation = kernel_activation(c.text_activation);
  for (const BertLayer& b : t.layers) {
    // x = LN(x + dense(attention(x)))
    b.qkv.forward(x.data(), rows, qkv.data());
    core::parallel_for(segments.size() * heads, [&](size_t begin, size_t end) {
      std::vector<float> scratch(kernels::attention_scratch_floats(max_len, head_dim));
      for (size_t task = begin; task < end; ++task) {
        const Segment& s = segments[task / heads];
        kernels::attention_head(qkv.data() + s.offset * 3 * width, s.length, width, task % heads, head_dim,
                                /*causal=*/false, attn.data() + s.offset * width, scratch.data());
      }
    });
    h = x;
    b.attention_out.forward(attn.data(), rows, h.data(), kernels::Epilogue::residual());
    parallel_layer_norm(h.data(), rows, width, b.attention_norm_weight.data(), b.attention_norm_bias.data(), x.data(),
                        c.text_eps);
    // x = LN(x + output(gelu(intermediate(x))))
    b.intermediate.forward(x.data(), rows, mlp.data(), kernels::Epilogue::activated(activation));
    h = x;
    b.output.forward(mlp.data(), rows, h.data(), kernels::Epilogue::residual());
    parallel_layer_norm(h.data(), rows, width, b.output_norm_weight.data(), b.output_norm_bias.data(), x.data(),
                        c.text_eps);
  }

  // [CLS] (the first position of each row) · text_projection.
  std::vector<float> cls(count * width), out(count * static_cast<size_t>(c.embed_dim));
  for (size_t n = 0; n < count; ++n)
    std::copy_n(x.data() + segments[n].offset * width, width, cls.data() + n * width);
  t.projection.forward(cls.data(), count, out.data());
  return out;
}

}  // namespace clipkit::model::chinese_clip
