// Chinese-CLIP's tensors: names, shapes, dimensions; and the clipkit::Model around them.
#include <cmath>
#include <set>

#include "clipkit/error.hpp"
#include "model/chinese_clip/chinese_clip.hpp"

namespace clipkit::model::chinese_clip {

namespace {

using Shape = std::vector<int64_t>;

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const io::Tensor& require(const io::Checkpoint& ckpt, const std::string& name, size_t rank) {
  const auto it = ckpt.tensors.find(name);
  if (it == ckpt.tensors.end())
    throw Error(ErrorCode::not_found, ckpt.path.string() + ": missing tensor '" + name + "'");
  if (it->second.shape.size() != rank)
    throw Error(ErrorCode::corrupt_data, ckpt.path.string() + ": tensor '" + name + "' has shape " +
                                             shape_string(it->second.shape) + ", expected rank " +
                                             std::to_string(rank));
  return it->second;
}

std::string layer_prefix(int i) { return "bert.encoder.layer." + std::to_string(i) + "."; }

int count_layers(const io::Checkpoint& ckpt) {
  int n = 0;
  while (ckpt.tensors.count(layer_prefix(n) + "attention.self.query.weight")) ++n;
  return n;
}

Config infer_config(const io::Checkpoint& ckpt) {
  const std::string file = ckpt.path.string();
  for (const auto& [name, tensor] : ckpt.tensors) {
    if (name.find(".Wqkv.") != std::string::npos)
      throw Error(ErrorCode::unsupported,
                  file + ": tensor '" + name + "' is cn_clip's flash-attention layout; convert the state dict "
                         "with cn_clip.clip.model.convert_state_dict first");
  }
  Config c;
  infer_vision_config(ckpt, c.vision);  // ResNet → unsupported; heads = width / 64
  c.vision.activation = Activation::quick_gelu;  // cn_clip's ResidualAttentionBlock
  c.choices.push_back({"vision activation", "quick_gelu (cn_clip's VisualTransformer)"});
  if (c.vision.vision_width == 1280) {
    // cn_clip's ViT-H-14.json: vision_head_width 80.
    c.vision.vision_heads = 16;
    c.choices.push_back({"vision heads", "16 (width 1280: cn_clip's ViT-H-14, head width 80)"});
  } else {
    c.choices.push_back({"vision heads", std::to_string(c.vision.vision_heads) + " (width / 64, as cn_clip)"});
  }
  const auto& word = require(ckpt, "bert.embeddings.word_embeddings.weight", 2);
  const auto& position = require(ckpt, "bert.embeddings.position_embeddings.weight", 2);
  const auto& type = require(ckpt, "bert.embeddings.token_type_embeddings.weight", 2);
  const auto& projection = require(ckpt, "text_projection", 2);
  const auto& visual_projection = require(ckpt, "visual.proj", 2);
  c.vocab_size = static_cast<int>(word.shape[0]);
  c.text_width = static_cast<int>(word.shape[1]);
  c.max_positions = static_cast<int>(position.shape[0]);
  c.type_vocab_size = static_cast<int>(type.shape[0]);
  c.embed_dim = static_cast<int>(projection.shape[1]);
  c.text_layers = count_layers(ckpt);
  if (c.text_layers == 0)
    throw Error(ErrorCode::not_found, file + ": no BERT layers found (expected '" + layer_prefix(0) +
                                          "attention.self.query.weight')");
  c.text_intermediate = static_cast<int>(require(ckpt, layer_prefix(0) + "intermediate.dense.weight", 2).shape[0]);
  c.text_heads = std::max(1, c.text_width / 64);
  if (c.text_width % 64 != 0)
    throw Error(ErrorCode::corrupt_data, file + ": BERT width " + std::to_string(c.text_width) +
                                             " is not a multiple of 64 (heads = width / 64, as every cn_clip "
                                             "text config)");
  c.choices.push_back({"text heads", std::to_string(c.text_heads) + " (width / 64, as cn_clip's configs)"});
  c.choices.push_back({"text activation", "gelu (exact, cn_clip's BERT hidden_act)"});
  c.choices.push_back({"text LayerNorm eps", "1e-12 (post-norm BERT)"});
  c.choices.push_back({"text pooling", "[CLS] (position 0), pad id 0 masked"});
  if (visual_projection.shape[1] != c.embed_dim)
    throw Error(ErrorCode::corrupt_data, file + ": visual.proj " + shape_string(visual_projection.shape) +
                                             " and text_projection " + shape_string(projection.shape) +
                                             " disagree on the embedding size");
  if (c.type_vocab_size < 1)
    throw Error(ErrorCode::corrupt_data, file + ": bert.embeddings.token_type_embeddings.weight has no rows");
  if (c.max_positions < kContextLength)
    throw Error(ErrorCode::corrupt_data, file + ": bert.embeddings.position_embeddings.weight has " +
                                             std::to_string(c.max_positions) + " positions, fewer than cn_clip's " +
                                             std::to_string(kContextLength) + " tokens per text");
  c.vision.embed_dim = c.embed_dim;
  c.vision.context_length = c.context_length;
  c.vision.vocab_size = c.vocab_size;
  c.vision.text_width = c.text_width;
  c.vision.text_heads = c.text_heads;
  c.vision.text_layers = c.text_layers;
  return c;
}

std::vector<std::pair<std::string, Shape>> expected_tensors(const Config& c) {
  std::vector<std::pair<std::string, Shape>> out;
  add_vision_tensors(out, c.vision);  // visual.proj included
  out.push_back({"logit_scale", {}});
  out.push_back({"text_projection", {c.text_width, c.embed_dim}});
  const int64_t w = c.text_width, i = c.text_intermediate;
  out.push_back({"bert.embeddings.word_embeddings.weight", {c.vocab_size, w}});
  out.push_back({"bert.embeddings.position_embeddings.weight", {c.max_positions, w}});
  out.push_back({"bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, w}});
  out.push_back({"bert.embeddings.LayerNorm.weight", {w}});
  out.push_back({"bert.embeddings.LayerNorm.bias", {w}});
  for (int l = 0; l < c.text_layers; ++l) {
    const std::string p = layer_prefix(l);
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
  return out;
}

Buffer take(io::Checkpoint& ckpt, const std::string& name) { return std::move(ckpt.tensors.at(name).data); }

BertLayer take_layer(io::Checkpoint& ckpt, int l) {
  const std::string p = layer_prefix(l);
  BertLayer b;
  for (const char* qkv : {"query", "key", "value"}) {
    const Buffer weight = take(ckpt, p + "attention.self." + qkv + ".weight");
    const Buffer bias = take(ckpt, p + "attention.self." + qkv + ".bias");
    b.qkv_weight.insert(b.qkv_weight.end(), weight.begin(), weight.end());
    b.qkv_bias.insert(b.qkv_bias.end(), bias.begin(), bias.end());
  }
  b.attention_out_weight = take(ckpt, p + "attention.output.dense.weight");
  b.attention_out_bias = take(ckpt, p + "attention.output.dense.bias");
  b.attention_norm_weight = take(ckpt, p + "attention.output.LayerNorm.weight");
  b.attention_norm_bias = take(ckpt, p + "attention.output.LayerNorm.bias");
  b.intermediate_weight = take(ckpt, p + "intermediate.dense.weight");
  b.intermediate_bias = take(ckpt, p + "intermediate.dense.bias");
  b.output_weight = take(ckpt, p + "output.dense.weight");
  b.output_bias = take(ckpt, p + "output.dense.bias");
  b.output_norm_weight = take(ckpt, p + "output.LayerNorm.weight");
  b.output_norm_bias = take(ckpt, p + "output.LayerNorm.bias");
  return b;
}

bool ignorable(const std::string& name) { return name.starts_with("bert.pooler."); }

}  // namespace

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Weights w;
  w.config = infer_config(ckpt);
  const Config& c = w.config;
  std::set<std::string> expected_names;
  for (const auto& [name, shape] : expected_tensors(c)) {
    expected_names.insert(name);
    const auto it = ckpt.tensors.find(name);
    if (it == ckpt.tensors.end()) throw Error(ErrorCode::not_found, file + ": missing tensor '" + name + "'");
    Shape actual = it->second.shape;
    if (name == "logit_scale" && actual == Shape{1}) actual = {};
    if (actual != shape)
      throw Error(ErrorCode::corrupt_data, file + ": tensor '" + name + "' has shape " + shape_string(actual) +
                                               ", expected " + shape_string(shape));
    w.parameters += it->second.numel();
  }
  for (const auto& [name, tensor] : ckpt.tensors) {
    if (!expected_names.count(name) && !ignorable(name))
      throw Error(ErrorCode::corrupt_data, file + ": unexpected tensor '" + name + "' " + shape_string(tensor.shape) +
                                               " (not part of a Chinese-CLIP with " +
                                               std::to_string(c.vision.vision_layers) + " vision and " +
                                               std::to_string(c.text_layers) + " BERT layers)");
  }
  w.vision = take_vision(ckpt, c.vision);
  TextWeights& t = w.text;
  t.word_embeddings = take(ckpt, "bert.embeddings.word_embeddings.weight");
  t.position_embeddings = take(ckpt, "bert.embeddings.position_embeddings.weight");
  Buffer types = take(ckpt, "bert.embeddings.token_type_embeddings.weight");
  t.token_type_0.assign(types.begin(), types.begin() + c.text_width);
  t.embedding_norm_weight = take(ckpt, "bert.embeddings.LayerNorm.weight");
  t.embedding_norm_bias = take(ckpt, "bert.embeddings.LayerNorm.bias");
  for (int l = 0; l < c.text_layers; ++l) t.layers.push_back(take_layer(ckpt, l));
  t.text_projection = take(ckpt, "text_projection");
  const float stored = ckpt.tensors.at("logit_scale").data.at(0);
  if (!std::isfinite(stored)) throw Error(ErrorCode::corrupt_data, file + ": logit_scale is not finite");
  w.logit_scale = std::exp(stored);
  return w;
}

void pack(Weights& w, kernels::Precision precision) {
  const Config& c = w.config;
  size_t bytes = pack_vision(w.vision, c.vision, precision);
  const size_t width = c.text_width, inter = c.text_intermediate;
  TextWeights& t = w.text;
  t.projection = kernels::Linear(t.text_projection.data(), width, c.embed_dim, nullptr, kernels::Precision::fp32,
                                 /*w_in_by_out=*/true);
  Buffer().swap(t.text_projection);
  bytes += t.projection.weight_bytes();
  for (BertLayer& b : t.layers) {
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
  bytes += (t.word_embeddings.size() + t.position_embeddings.size()) * sizeof(float);
  w.weight_bytes = bytes;
}

}  // namespace clipkit::model::chinese_clip
