// The BERT tower's forward pass (cn_clip/clip/modeling_bert.py: BertEmbeddings and the
// post-norm BertLayer; transformers' XLMRobertaModel is the same network with RoBERTa's
// position ids), then the pooling.
#include <algorithm>
#include <string>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/attention.hpp"
#include "model/bert/bert.hpp"
#include "model/transformer.hpp"

namespace clipkit::model::bert {

namespace {

[[noreturn]] void bad_row(size_t n, const std::string& what) {
  throw Error(ErrorCode::invalid_argument, "token row " + std::to_string(n) + " " + what);
}

// Each row's real tokens packed one after another, with their position ids.
struct Packed {
  std::vector<Segment> segments;
  std::vector<int32_t> ids, positions;
};

Packed pack_rows(const Config& c, const int32_t* tokens, size_t count, size_t context) {
  Packed p;
  const size_t limit = static_cast<size_t>(max_tokens(c));
  for (size_t n = 0; n < count; ++n) {
    const int32_t* row = tokens + n * context;
    for (size_t i = 0; i < context; ++i)
      if (row[i] < 0 || row[i] >= c.vocab_size)
        throw Error(ErrorCode::invalid_argument, "token id " + std::to_string(row[i]) + " at row " +
                                                     std::to_string(n) + ", position " + std::to_string(i) +
                                                     " is outside the vocabulary of " + std::to_string(c.vocab_size));
    const size_t real = static_cast<size_t>(std::count_if(row, row + context, [&](int32_t id) { return id != c.pad_id; }));
    // An all-pad row has every key masked alike, which is no mask: the references
    // attend over all of it. CLS pooling reads position 0 of that; mean pooling would
    // divide by zero.
    const bool all_pad = real == 0;
    if (all_pad && c.pooling == Pooling::mean) bad_row(n, "has only pad ids (" + std::to_string(c.pad_id) + ")");
    if (!all_pad && c.pooling == Pooling::cls && row[0] == c.pad_id)
      bad_row(n, "starts with the pad id " + std::to_string(c.pad_id) + " but has other tokens; rows start with [CLS]");
    if ((all_pad ? context : real) > limit)
      bad_row(n, "has " + std::to_string(all_pad ? context : real) + " tokens, more than the model's " +
                     std::to_string(limit) + " positions");
    const size_t offset = p.ids.size();
    int32_t rank = 0;
    for (size_t i = 0; i < context; ++i) {
      if (!all_pad && row[i] == c.pad_id) continue;
      p.ids.push_back(row[i]);
      p.positions.push_back(c.positions == Positions::roberta ? c.pad_id + 1 + rank : static_cast<int32_t>(i));
      ++rank;
    }
    p.segments.push_back({offset, p.ids.size() - offset});
  }
  return p;
}

}  // namespace

std::vector<float> encode(const Weights& w, const int32_t* tokens, size_t count, size_t context) {
  const Config& c = w.config;
  const size_t width = c.width, heads = c.heads, head_dim = width / heads;
  const Packed p = pack_rows(c, tokens, count, context);
  const size_t rows = p.ids.size();

  // Embeddings: word + position + token type 0, LayerNorm.
  std::vector<float> x(rows * width);
  core::parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* word = w.word_embeddings.data() + static_cast<size_t>(p.ids[r]) * width;
      const float* pos = w.position_embeddings.data() + static_cast<size_t>(p.positions[r]) * width;
      float* dst = x.data() + r * width;
      for (size_t i = 0; i < width; ++i) dst[i] = word[i] + pos[i] + w.token_type_0[i];
    }
  });
  parallel_layer_norm(x.data(), rows, width, w.embedding_norm_weight.data(), w.embedding_norm_bias.data(), x.data(),
                      c.eps);

  size_t max_len = 0;
  for (const Segment& s : p.segments) max_len = std::max(max_len, s.length);
  std::vector<float> qkv(rows * 3 * width), attn(rows * width), h(rows * width),
      mlp(rows * static_cast<size_t>(c.intermediate));
  const kernels::Activation activation = kernel_activation(c.activation);
  for (const Layer& b : w.layers) {
    // x = LN(x + dense(attention(x)))
    b.qkv.forward(x.data(), rows, qkv.data());
    core::parallel_for(p.segments.size() * heads, [&](size_t begin, size_t end) {
      std::vector<float> scratch(kernels::attention_scratch_floats(max_len, head_dim));
      for (size_t task = begin; task < end; ++task) {
        const Segment& s = p.segments[task / heads];
        kernels::attention_head(qkv.data() + s.offset * 3 * width, s.length, width, task % heads, head_dim,
                                /*causal=*/false, attn.data() + s.offset * width, scratch.data());
      }
    });
    h = x;
    b.attention_out.forward(attn.data(), rows, h.data(), kernels::Epilogue::residual());
    parallel_layer_norm(h.data(), rows, width, b.attention_norm_weight.data(), b.attention_norm_bias.data(), x.data(),
                        c.eps);
    // x = LN(x + output(gelu(intermediate(x))))
    b.intermediate.forward(x.data(), rows, mlp.data(), kernels::Epilogue::activated(activation));
    h = x;
    b.output.forward(mlp.data(), rows, h.data(), kernels::Epilogue::residual());
    parallel_layer_norm(h.data(), rows, width, b.output_norm_weight.data(), b.output_norm_bias.data(), x.data(),
                        c.eps);
  }

  std::vector<float> pooled(count * width);
  for (size_t n = 0; n < count; ++n) {
    const Segment& s = p.segments[n];
    float* dst = pooled.data() + n * width;
    if (c.pooling == Pooling::cls) {
      std::copy_n(x.data() + s.offset * width, width, dst);
      continue;
    }
    // The mean over the real tokens (open_clip's MeanPooler, M-CLIP's forward): a sum
    // in row order, then one division, as torch's sum(dim=1) / mask.sum().
    for (size_t r = 0; r < s.length; ++r) {
      const float* src = x.data() + (s.offset + r) * width;
      for (size_t i = 0; i < width; ++i) dst[i] += src[i];
    }
    const float n_tokens = static_cast<float>(s.length);
    for (size_t i = 0; i < width; ++i) dst[i] /= n_tokens;
  }
  return pooled;
}

}  // namespace clipkit::model::bert
