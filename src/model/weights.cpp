#include "model/weights.hpp"

#include <cmath>
#include <random>
#include <set>

#include "clipkit/error.hpp"
#include "model/tensor_checks.hpp"

namespace clipkit::model {

namespace {

void add_block(std::vector<std::pair<std::string, Shape>>& out, const std::string& prefix, int64_t w) {
  out.push_back({prefix + "attn.in_proj_weight", {3 * w, w}});
  out.push_back({prefix + "attn.in_proj_bias", {3 * w}});
  out.push_back({prefix + "attn.out_proj.weight", {w, w}});
  out.push_back({prefix + "attn.out_proj.bias", {w}});
  out.push_back({prefix + "ln_1.weight", {w}});
  out.push_back({prefix + "ln_1.bias", {w}});
  out.push_back({prefix + "mlp.c_fc.weight", {4 * w, w}});
  out.push_back({prefix + "mlp.c_fc.bias", {4 * w}});
  out.push_back({prefix + "mlp.c_proj.weight", {w, 4 * w}});
  out.push_back({prefix + "mlp.c_proj.bias", {w}});
  out.push_back({prefix + "ln_2.weight", {w}});
  out.push_back({prefix + "ln_2.bias", {w}});
}

// Number of consecutive resblocks.N found under `prefix`.
int count_layers(const std::map<std::string, io::Tensor>& tensors, const std::string& prefix) {
  int n = 0;
  while (tensors.count(prefix + std::to_string(n) + ".attn.in_proj_weight")) ++n;
  return n;
}

const io::Tensor& require(const io::Checkpoint& ckpt, const std::string& name, size_t rank) {
  return model::require(ckpt.tensors, name, rank, ckpt.path.string());
}

int config_int(const io::Checkpoint& ckpt, const char* key, int inferred) {
  auto it = ckpt.config_ints.find(key);
  return it == ckpt.config_ints.end() ? inferred : static_cast<int>(it->second);
}

// Heads must divide the tower's width (read from the tensors); the message says where
// the head count came from, since a config without the tower's section takes a default.
void check_heads(const io::Checkpoint& ckpt, const std::string& tower, int width, int heads) {
  if (heads >= 1 && heads <= width && width % heads == 0) return;
  const auto origin = ckpt.config_origins.find(tower + "_heads");
  const std::string from = origin != ckpt.config_origins.end() ? origin->second
                           : ckpt.config_ints.count(tower + "_heads") ? "the config file"
                                                                        : "width / 64";
  throw Error(ErrorCode::corrupt_data, ckpt.path.string() + ": " + tower + " width " + std::to_string(width) +
                                           " (from the weights) is not divisible by " + std::to_string(heads) +
                                           " attention heads (" + from + ")");
}

}  // namespace

void infer_vision_config(const io::Checkpoint& ckpt, ModelConfig& c) {
  if (ckpt.tensors.count("visual.layer1.0.conv1.weight") || ckpt.tensors.count("visual.attnpool.positional_embedding"))
    throw Error(ErrorCode::unsupported, ckpt.path.string() +
                                            ": unsupported architecture: ModifiedResNet (visual.layer1…, "
                                            "visual.attnpool…); ViT models are supported");
  const auto& conv1 = require(ckpt, "visual.conv1.weight", 4);
  const auto& vpos = require(ckpt, "visual.positional_embedding", 2);
  c.vision_width = static_cast<int>(conv1.shape[0]);
  c.vision_patch_size = static_cast<int>(conv1.shape[3]);
  c.vision_layers = count_layers(ckpt.tensors, "visual.transformer.resblocks.");
  const int grid = static_cast<int>(std::lround(std::sqrt(static_cast<double>(vpos.shape[0] - 1))));
  c.image_resolution = c.vision_patch_size * grid;
  c.vision_heads = config_int(ckpt, "vision_heads", std::max(1, c.vision_width / 64));
  if (c.vision_layers == 0)
    throw Error(ErrorCode::not_found, ckpt.path.string() + ": no transformer blocks found (expected "
                                          "'visual.transformer.resblocks.0.attn.in_proj_weight')");
  if (grid * grid + 1 != vpos.shape[0])
    throw Error(ErrorCode::corrupt_data, ckpt.path.string() + ": visual.positional_embedding has " +
                                             std::to_string(vpos.shape[0]) + " rows, not a square grid + 1");
  check_heads(ckpt, "vision", c.vision_width, c.vision_heads);
}

void infer_text_config(const io::Checkpoint& ckpt, ModelConfig& c) {
  const auto& tproj = require(ckpt, "text_projection", 2);
  const auto& tpos = require(ckpt, "positional_embedding", 2);
  const auto& tok = require(ckpt, "token_embedding.weight", 2);
  const auto& lnf = require(ckpt, "ln_final.weight", 1);
  c.embed_dim = static_cast<int>(tproj.shape[1]);
  c.context_length = static_cast<int>(tpos.shape[0]);
  c.vocab_size = static_cast<int>(tok.shape[0]);
  c.text_width = static_cast<int>(lnf.shape[0]);
  c.text_layers = count_layers(ckpt.tensors, "transformer.resblocks.");
  c.text_heads = config_int(ckpt, "text_heads", std::max(1, c.text_width / 64));
  if (c.text_layers == 0)
    throw Error(ErrorCode::not_found, ckpt.path.string() + ": no transformer blocks found (expected "
                                          "'transformer.resblocks.0.attn.in_proj_weight')");
  check_heads(ckpt, "text", c.text_width, c.text_heads);
  if (!ckpt.activation.empty()) c.activation = parse_activation(ckpt.activation);
}

namespace {

ModelConfig infer_config(const io::Checkpoint& ckpt) {
  ModelConfig c;
  infer_vision_config(ckpt, c);
  infer_text_config(ckpt, c);
  return c;
}

Buffer take(io::Checkpoint& ckpt, const std::string& name) { return model::take(ckpt.tensors, name); }

BlockWeights take_block(io::Checkpoint& ckpt, const std::string& p) {
  BlockWeights b;
  b.ln_1_weight = take(ckpt, p + "ln_1.weight");
  b.ln_1_bias = take(ckpt, p + "ln_1.bias");
  b.in_proj_weight = take(ckpt, p + "attn.in_proj_weight");
  b.in_proj_bias = take(ckpt, p + "attn.in_proj_bias");
  b.out_proj_weight = take(ckpt, p + "attn.out_proj.weight");
  b.out_proj_bias = take(ckpt, p + "attn.out_proj.bias");
  b.ln_2_weight = take(ckpt, p + "ln_2.weight");
  b.ln_2_bias = take(ckpt, p + "ln_2.bias");
  b.c_fc_weight = take(ckpt, p + "mlp.c_fc.weight");
  b.c_fc_bias = take(ckpt, p + "mlp.c_fc.bias");
  b.c_proj_weight = take(ckpt, p + "mlp.c_proj.weight");
  b.c_proj_bias = take(ckpt, p + "mlp.c_proj.bias");
  return b;
}

// Entries some containers carry that are not parameters of the model.
bool ignorable(const std::string& name) {
  static const std::set<std::string> kNames = {"input_resolution", "context_length", "vocab_size"};
  return kNames.count(name) || name.ends_with("attn_mask") || name.ends_with("position_ids");
}

}  // namespace

void add_vision_tensors(std::vector<std::pair<std::string, Shape>>& out, const ModelConfig& c) {
  const int64_t vw = c.vision_width, p = c.vision_patch_size;
  const int64_t grid = c.image_resolution / c.vision_patch_size;
  out.push_back({"visual.class_embedding", {vw}});
  out.push_back({"visual.positional_embedding", {grid * grid + 1, vw}});
  out.push_back({"visual.proj", {vw, c.embed_dim}});
  out.push_back({"visual.conv1.weight", {vw, 3, p, p}});
  out.push_back({"visual.ln_pre.weight", {vw}});
  out.push_back({"visual.ln_pre.bias", {vw}});
  for (int i = 0; i < c.vision_layers; ++i) add_block(out, "visual.transformer.resblocks." + std::to_string(i) + ".", vw);
  out.push_back({"visual.ln_post.weight", {vw}});
  out.push_back({"visual.ln_post.bias", {vw}});
}

void add_text_tensors(std::vector<std::pair<std::string, Shape>>& out, const ModelConfig& c) {
  const int64_t tw = c.text_width;
  out.push_back({"positional_embedding", {c.context_length, tw}});
  out.push_back({"text_projection", {tw, c.embed_dim}});
  out.push_back({"token_embedding.weight", {c.vocab_size, tw}});
  for (int i = 0; i < c.text_layers; ++i) add_block(out, "transformer.resblocks." + std::to_string(i) + ".", tw);
  out.push_back({"ln_final.weight", {tw}});
  out.push_back({"ln_final.bias", {tw}});
}

std::vector<std::pair<std::string, Shape>> expected_tensors(const ModelConfig& c) {
  std::vector<std::pair<std::string, Shape>> out;
  add_vision_tensors(out, c);
  add_text_tensors(out, c);
  out.push_back({"logit_scale", {}});
  return out;
}

VisionWeights take_vision(io::Checkpoint& ckpt, const ModelConfig& c) {
  VisionWeights v;
  v.conv1_weight = take(ckpt, "visual.conv1.weight");
  v.class_embedding = take(ckpt, "visual.class_embedding");
  v.positional_embedding = take(ckpt, "visual.positional_embedding");
  v.ln_pre_weight = take(ckpt, "visual.ln_pre.weight");
  v.ln_pre_bias = take(ckpt, "visual.ln_pre.bias");
  for (int i = 0; i < c.vision_layers; ++i)
    v.blocks.push_back(take_block(ckpt, "visual.transformer.resblocks." + std::to_string(i) + "."));
  v.ln_post_weight = take(ckpt, "visual.ln_post.weight");
  v.ln_post_bias = take(ckpt, "visual.ln_post.bias");
  v.proj = take(ckpt, "visual.proj");
  return v;
}

TextWeights take_text(io::Checkpoint& ckpt, const ModelConfig& c) {
  TextWeights t;
  t.token_embedding = take(ckpt, "token_embedding.weight");
  t.positional_embedding = take(ckpt, "positional_embedding");
  for (int i = 0; i < c.text_layers; ++i)
    t.blocks.push_back(take_block(ckpt, "transformer.resblocks." + std::to_string(i) + "."));
  t.ln_final_weight = take(ckpt, "ln_final.weight");
  t.ln_final_bias = take(ckpt, "ln_final.bias");
  t.text_projection = take(ckpt, "text_projection");
  return t;
}

ClipWeights weights_from_checkpoint(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  ClipWeights w;
  w.config = infer_config(ckpt);
  const ModelConfig& c = w.config;

  w.parameters = check_tensor_set(ckpt.tensors, expected_tensors(c), ignorable, file,
                                  "a CLIP ViT with " + std::to_string(c.vision_layers) + " vision and " +
                                      std::to_string(c.text_layers) + " text layers");

  w.vision = take_vision(ckpt, c);

  w.text = take_text(ckpt, c);
  w.logit_scale = logit_scale_of(ckpt.tensors, file);
  return w;
}

void pack_block(BlockWeights& b, size_t w, kernels::Precision p) {
  const size_t mlp = b.c_fc_bias.size();  // 4·w in CLIP
  b.in_proj = kernels::Linear(b.in_proj_weight.data(), w, 3 * w, b.in_proj_bias.data(), p);
  b.out_proj = kernels::Linear(b.out_proj_weight.data(), w, w, b.out_proj_bias.data(), p);
  b.c_fc = kernels::Linear(b.c_fc_weight.data(), w, mlp, b.c_fc_bias.data(), p);
  b.c_proj = kernels::Linear(b.c_proj_weight.data(), mlp, w, b.c_proj_bias.data(), p);
  for (Buffer* buffer : {&b.in_proj_weight, &b.in_proj_bias, &b.out_proj_weight, &b.out_proj_bias, &b.c_fc_weight,
                         &b.c_fc_bias, &b.c_proj_weight, &b.c_proj_bias})
    Buffer().swap(*buffer);
}

size_t block_bytes(const BlockWeights& b) {
  return b.in_proj.weight_bytes() + b.out_proj.weight_bytes() + b.c_fc.weight_bytes() + b.c_proj.weight_bytes() +
         4 * b.ln_1_weight.size() * sizeof(float);
}

size_t pack_vision(VisionWeights& v, const ModelConfig& c, kernels::Precision precision) {
  const size_t vw = c.vision_width, patch_len = 3 * c.vision_patch_size * c.vision_patch_size;
  v.patch_embed = kernels::Linear(v.conv1_weight.data(), patch_len, vw, nullptr, kernels::Precision::fp32);
  v.projection = kernels::Linear(v.proj.data(), vw, c.embed_dim, nullptr, kernels::Precision::fp32,
                                 /*w_in_by_out=*/true);
  Buffer().swap(v.conv1_weight);
  Buffer().swap(v.proj);
  size_t bytes = v.patch_embed.weight_bytes() + v.projection.weight_bytes();
  for (auto& b : v.blocks) {
    pack_block(b, vw, precision);
    bytes += block_bytes(b);
  }
  return bytes + v.positional_embedding.size() * sizeof(float);
}

size_t pack_text(TextWeights& t, const ModelConfig& c, kernels::Precision precision) {
  const size_t tw = c.text_width;
  t.projection = kernels::Linear(t.text_projection.data(), tw, c.embed_dim, nullptr, kernels::Precision::fp32,
                                 /*w_in_by_out=*/true);
  Buffer().swap(t.text_projection);
  size_t bytes = t.projection.weight_bytes();
  for (auto& b : t.blocks) {
    pack_block(b, tw, precision);
    bytes += block_bytes(b);
  }
  return bytes + (t.token_embedding.size() + t.positional_embedding.size()) * sizeof(float);
}

void pack_weights(ClipWeights& w, kernels::Precision precision) {
  w.precision = precision;
  w.weight_bytes = pack_vision(w.vision, w.config, precision) + pack_text(w.text, w.config, precision);
}

ClipWeights random_weights(const ModelConfig& config, uint64_t seed) {
  io::Checkpoint ckpt;
  ckpt.path = "<random>";
  std::mt19937_64 rng(seed);
  for (const auto& [name, shape] : expected_tensors(config)) {
    io::Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(t.numel()));
    const bool is_norm_weight = name.find("ln_") != std::string::npos && name.ends_with(".weight");
    // Scaled like a trained transformer: unit-ish LayerNorm gains, small matrices.
    const double fan_in = shape.size() >= 2 ? static_cast<double>(t.numel() / shape[0]) : 1.0;
    std::normal_distribution<float> dist(is_norm_weight ? 1.0f : 0.0f,
                                         static_cast<float>(shape.size() >= 2 ? 1.0 / std::sqrt(fan_in) : 0.02));
    for (auto& x : t.data) x = dist(rng);
    if (name == "logit_scale") t.data[0] = std::log(100.0f);
    ckpt.tensors.emplace(name, std::move(t));
  }
  ckpt.activation = to_string(config.activation);
  ClipWeights w = weights_from_checkpoint(std::move(ckpt));
  w.config = config;
  return w;
}

}  // namespace clipkit::model
