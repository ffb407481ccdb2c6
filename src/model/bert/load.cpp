// The BERT tower's tensors: dimensions from their shapes, names, packing.
#include <algorithm>

#include "clipkit/error.hpp"
#include "model/bert/bert.hpp"

namespace clipkit::model::bert {

namespace {

std::string layer_prefix(const std::string& prefix, int i) {
  return prefix + "encoder.layer." + std::to_string(i) + ".";
}

}  // namespace

Config infer_config(const Tensors& tensors, const std::string& prefix, const std::string& file) {
  const auto& word = require(tensors, prefix + "embeddings.word_embeddings.weight", 2, file);
  const auto& position = require(tensors, prefix + "embeddings.position_embeddings.weight", 2, file);
  const auto& type = require(tensors, prefix + "embeddings.token_type_embeddings.weight", 2, file);
  Config c;
  c.vocab_size = static_cast<int>(word.shape[0]);
  c.width = static_cast<int>(word.shape[1]);
  c.max_positions = static_cast<int>(position.shape[0]);
  c.type_vocab_size = static_cast<int>(type.shape[0]);
  while (tensors.count(layer_prefix(prefix, c.layers) + "attention.self.query.weight")) ++c.layers;
  if (c.layers == 0)
    throw Error(ErrorCode::not_found, file + ": no BERT layers found (expected '" + layer_prefix(prefix, 0) +
                                          "attention.self.query.weight')");
  c.intermediate =
      static_cast<int>(require(tensors, layer_prefix(prefix, 0) + "intermediate.dense.weight", 2, file).shape[0]);
  if (c.width <= 0 || c.width % 64 != 0)
    throw Error(ErrorCode::corrupt_data, file + ": BERT width " + std::to_string(c.width) +
                                             " is not a multiple of 64 (" + prefix +
                                             "embeddings.word_embeddings.weight; heads = width / 64, as every "
                                             "BERT / XLM-R config)");
  c.heads = c.width / 64;
  if (c.type_vocab_size < 1)
    throw Error(ErrorCode::corrupt_data, file + ": " + prefix + "embeddings.token_type_embeddings.weight has no rows");
  return c;
}

void add_tensors(ShapeList& out, const Config& c, const std::string& prefix) {
  const int64_t w = c.width, i = c.intermediate;
  out.push_back({prefix + "embeddings.word_embeddings.weight", {c.vocab_size, w}});
  out.push_back({prefix + "embeddings.position_embeddings.weight", {c.max_positions, w}});
  out.push_back({prefix + "embeddings.token_type_embeddings.weight", {c.type_vocab_size, w}});
  out.push_back({prefix + "embeddings.LayerNorm.weight", {w}});
  out.push_back({prefix + "embeddings.LayerNorm.bias", {w}});
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = layer_prefix(prefix, l);
    for (const char* qkv : {"query", "key", "value"}) {
      out.push_back({p + "attention.self." + qkv + ".weight", {w, w}});
      out.push_back({p + "attention.self." + qkv + ".bias", {w}});
    }
    out.push_back({p + "attention.output.dense.weight", {w, w}});
    out.push_back({p + "attention.output.dense.bias", {w}});
    out.push_back({p + "attention.output.LayerNorm.weight", {w}});
    out.push_back({p + "attention.output.LayerNorm.bias", {w}});
    out.push_back({p + "intermediate.dense.weight", {i, w}});
    out.push_back({p + "intermediate.dense.bias", {i}});
    out.push_back({p + "output.dense.weight", {w, i}});
    out.push_back({p + "output.dense.bias", {w}});
    out.push_back({p + "output.LayerNorm.weight", {w}});
    out.push_back({p + "output.LayerNorm.bias", {w}});
  }
}

bool ignorable(const std::string& name, const std::string& prefix) {
  return name.starts_with(prefix + "pooler.") || name.ends_with("position_ids");
}

int max_tokens(const Config& c) {
  return c.positions == Positions::roberta ? c.max_positions - c.pad_id - 1 : c.max_positions;
}

void describe(const Config& c, int context_length, ModelConfig& out) {
  out.context_length = context_length;
  out.vocab_size = c.vocab_size;
  out.text_width = c.width;
  out.text_heads = c.heads;
  out.text_layers = c.layers;
  out.activation = c.activation;
}

Weights take(Tensors& tensors, const Config& c, const std::string& prefix) {
  Weights w;
  w.config = c;
  const std::string e = prefix + "embeddings.";
  w.word_embeddings = model::take(tensors, e + "word_embeddings.weight");
  w.position_embeddings = model::take(tensors, e + "position_embeddings.weight");
  const Buffer types = model::take(tensors, e + "token_type_embeddings.weight");
  w.token_type_0.assign(types.begin(), types.begin() + c.width);
  w.embedding_norm_weight = model::take(tensors, e + "LayerNorm.weight");
  w.embedding_norm_bias = model::take(tensors, e + "LayerNorm.bias");
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = layer_prefix(prefix, l);
    Layer b;
    for (const char* qkv : {"query", "key", "value"}) {
      const Buffer weight = model::take(tensors, p + "attention.self." + qkv + ".weight");
      const Buffer bias = model::take(tensors, p + "attention.self." + qkv + ".bias");
      b.qkv_weight.insert(b.qkv_weight.end(), weight.begin(), weight.end());
      b.qkv_bias.insert(b.qkv_bias.end(), bias.begin(), bias.end());
    }
    b.attention_out_weight = model::take(tensors, p + "attention.output.dense.weight");
    b.attention_out_bias = model::take(tensors, p + "attention.output.dense.bias");
    b.attention_norm_weight = model::take(tensors, p + "attention.output.LayerNorm.weight");
    b.attention_norm_bias = model::take(tensors, p + "attention.output.LayerNorm.bias");
    b.intermediate_weight = model::take(tensors, p + "intermediate.dense.weight");
    b.intermediate_bias = model::take(tensors, p + "intermediate.dense.bias");
    b.output_weight = model::take(tensors, p + "output.dense.weight");
    b.output_bias = model::take(tensors, p + "output.dense.bias");
    b.output_norm_weight = model::take(tensors, p + "output.LayerNorm.weight");
    b.output_norm_bias = model::take(tensors, p + "output.LayerNorm.bias");
    w.layers.push_back(std::move(b));
  }
  return w;
}

size_t pack(Weights& w, kernels::Precision precision) {
  const size_t width = w.config.width, inter = w.config.intermediate;
  size_t bytes = (w.word_embeddings.size() + w.position_embeddings.size() + 3 * width) * sizeof(float);
  for (Layer& b : w.layers) {
    b.qkv = kernels::Linear(b.qkv_weight.data(), width, 3 * width, b.qkv_bias.data(), precision);
    b.attention_out =
        kernels::Linear(b.attention_out_weight.data(), width, width, b.attention_out_bias.data(), precision);
    b.intermediate = kernels::Linear(b.intermediate_weight.data(), width, inter, b.intermediate_bias.data(), precision);
    b.output = kernels::Linear(b.output_weight.data(), inter, width, b.output_bias.data(), precision);
    for (Buffer* buffer : {&b.qkv_weight, &b.qkv_bias, &b.attention_out_weight, &b.attention_out_bias,
                           &b.intermediate_weight, &b.intermediate_bias, &b.output_weight, &b.output_bias})
      Buffer().swap(*buffer);
    bytes += b.qkv.weight_bytes() + b.attention_out.weight_bytes() + b.intermediate.weight_bytes() +
             b.output.weight_bytes() + 4 * width * sizeof(float);
  }
  return bytes;
}

}  // namespace clipkit::model::bert
