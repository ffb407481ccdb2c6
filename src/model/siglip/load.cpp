// SigLIP checkpoints: Hugging Face names onto open_clip's, the config read, every
// tensor checked and taken.
#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "core/json_excerpt.hpp"
#include "io/config_file.hpp"
#include "io/name_map.hpp"
#include "model/siglip/siglip.hpp"

namespace clipkit::model::siglip {

namespace {

using nlohmann::json;
[[noreturn]] void corrupt(const std::string& file, const std::string& what) {
  throw Error(ErrorCode::corrupt_data, file + ": " + what);
}

// ---- Hugging Face SiglipModel → open_clip / timm names ----------------------------

// "<prefix><digits>.<rest>" → {index, rest}; false when `name` does not have that form.
bool split_layer(const std::string& name, const std::string& prefix, std::string& index, std::string& rest) {
  if (!name.starts_with(prefix)) return false;
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return false;
  index = name.substr(prefix.size(), dot - prefix.size());
  if (index.find_first_not_of("0123456789") != std::string::npos) return false;
  rest = name.substr(dot + 1);
  return true;
}

// Concatenates tensors along their first dimension (q, k, v → qkv).
io::Tensor concat_rows(const std::vector<const io::Tensor*>& parts, const std::string& file, const std::string& what) {
  io::Tensor out;
  out.shape = parts[0]->shape;
  out.shape[0] = 0;
  for (const io::Tensor* t : parts) {
    Shape rest_a(t->shape.begin() + 1, t->shape.end()), rest_b(parts[0]->shape.begin() + 1, parts[0]->shape.end());
    if (t->shape.empty() || rest_a != rest_b)
      corrupt(file, what + ": the q, k and v projections have different shapes");
    out.shape[0] += t->shape[0];
    out.data.insert(out.data.end(), t->data.begin(), t->data.end());
  }
  return out;
}

// First `rows` rows of a 1-D or 2-D tensor, or the rest after them.
io::Tensor take_rows(const io::Tensor& t, int64_t begin, int64_t end) {
  io::Tensor out;
  out.shape = t.shape;
  out.shape[0] = end - begin;
  const int64_t row = t.shape.size() > 1 ? t.numel() / t.shape[0] : 1;
  out.data.assign(t.data.begin() + begin * row, t.data.begin() + end * row);
  return out;
}

Tensors map_hf(Tensors hf, const std::string& file) {
  Tensors out;
  // Separate q/k/v of a layer, keyed by the open_clip name of the fused tensor.
  std::map<std::string, std::map<char, io::Tensor>> qkv;
  static const std::map<std::string, std::string> kVisionLayer = {
      {"layer_norm1", "norm1"}, {"layer_norm2", "norm2"}, {"self_attn.out_proj", "attn.proj"},
      {"mlp.fc1", "mlp.fc1"},   {"mlp.fc2", "mlp.fc2"}};
  static const std::map<std::string, std::string> kTextLayer = {
      {"layer_norm1", "ln_1"},  {"layer_norm2", "ln_2"}, {"self_attn.out_proj", "attn.out_proj"},
      {"mlp.fc1", "mlp.c_fc"}, {"mlp.fc2", "mlp.c_proj"}};
  static const std::map<std::string, std::string> kDirect = {
      {"vision_model.embeddings.patch_embedding.weight", "visual.trunk.patch_embed.proj.weight"},
      {"vision_model.embeddings.patch_embedding.bias", "visual.trunk.patch_embed.proj.bias"},
      {"vision_model.post_layernorm.weight", "visual.trunk.norm.weight"},
      {"vision_model.post_layernorm.bias", "visual.trunk.norm.bias"},
      {"vision_model.head.probe", "visual.trunk.attn_pool.latent"},
      {"vision_model.head.attention.out_proj.weight", "visual.trunk.attn_pool.proj.weight"},
      {"vision_model.head.attention.out_proj.bias", "visual.trunk.attn_pool.proj.bias"},
      {"vision_model.head.layernorm.weight", "visual.trunk.attn_pool.norm.weight"},
      {"vision_model.head.layernorm.bias", "visual.trunk.attn_pool.norm.bias"},
      {"vision_model.head.mlp.fc1.weight", "visual.trunk.attn_pool.mlp.fc1.weight"},
      {"vision_model.head.mlp.fc1.bias", "visual.trunk.attn_pool.mlp.fc1.bias"},
      {"vision_model.head.mlp.fc2.weight", "visual.trunk.attn_pool.mlp.fc2.weight"},
      {"vision_model.head.mlp.fc2.bias", "visual.trunk.attn_pool.mlp.fc2.bias"},
      {"text_model.embeddings.token_embedding.weight", "text.token_embedding.weight"},
      {"text_model.final_layer_norm.weight", "text.ln_final.weight"},
      {"text_model.final_layer_norm.bias", "text.ln_final.bias"},
      {"text_model.head.weight", "text.text_projection.weight"},
      {"text_model.head.bias", "text.text_projection.bias"}};

  for (auto& [name, tensor] : hf) {
    std::string index, rest;
    if (auto it = kDirect.find(name); it != kDirect.end()) {
      out[it->second] = std::move(tensor);
    } else if (name == "vision_model.embeddings.position_embedding.weight") {
      tensor.shape.insert(tensor.shape.begin(), 1);  // timm's pos_embed is [1, N, width]
      out["visual.trunk.pos_embed"] = std::move(tensor);
    } else if (name == "text_model.embeddings.position_embedding.weight") {
      out["text.positional_embedding"] = std::move(tensor);
    } else if (name == "vision_model.head.attention.in_proj_weight" ||
               name == "vision_model.head.attention.in_proj_bias") {
      // nn.MultiheadAttention's fused q|k|v; timm keeps q apart from k|v.
      const bool weight = name.ends_with("weight");
      if (tensor.shape.empty() || tensor.shape[0] % 3 != 0)
        corrupt(file, "tensor '" + name + "' has shape " + shape_string(tensor.shape) + ", expected 3·width rows");
      const int64_t w = tensor.shape[0] / 3;
      const std::string p = "visual.trunk.attn_pool.";
      out[p + (weight ? "q.weight" : "q.bias")] = take_rows(tensor, 0, w);
      out[p + (weight ? "kv.weight" : "kv.bias")] = take_rows(tensor, w, 3 * w);
    } else if (split_layer(name, "vision_model.encoder.layers.", index, rest) ||
               split_layer(name, "text_model.encoder.layers.", index, rest)) {
      const bool vision = name.starts_with("vision_model.");
      const std::string dst = vision ? "visual.trunk.blocks." + index + "." : "text.transformer.resblocks." + index + ".";
      const std::string module = rest.substr(0, rest.rfind('.')), param = rest.substr(rest.rfind('.') + 1);
      if (module.size() == std::string("self_attn.q_proj").size() && module.starts_with("self_attn.") &&
          module.ends_with("_proj") && std::string("qkv").find(module[10]) != std::string::npos) {
        const std::string fused = vision ? dst + "attn.qkv." + param
                                         : dst + (param == "weight" ? "attn.in_proj_weight" : "attn.in_proj_bias");
        qkv[fused][module[10]] = std::move(tensor);
        continue;
      }
      const auto& table = vision ? kVisionLayer : kTextLayer;
      if (auto it = table.find(module); it != table.end()) {
        out[dst + it->second + "." + param] = std::move(tensor);
      } else {
        out[name] = std::move(tensor);  // reported as unexpected by the checks
      }
    } else {
      out[name] = std::move(tensor);  // logit_scale, logit_bias; anything else is checked later
    }
  }
  for (auto& [fused, parts] : qkv) {
    for (char c : {'q', 'k', 'v'})
      if (!parts.count(c)) corrupt(file, std::string("missing the ") + c + " projection for '" + fused + "'");
    out[fused] = concat_rows({&parts['q'], &parts['k'], &parts['v']}, file, fused);
  }
  return out;
}

// ---- config -----------------------------------------------------------------------

std::string string_at(const json& object, const char* key, const std::string& fallback, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) corrupt(file, std::string("\"") + key + "\" is " + core::json_excerpt(*it) + ", expected a string");
  return it->get<std::string>();
}

float eps_at(const json& object, const char* key, float fallback, const std::string& where, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number() || !(it->get<double>() > 0) || !(it->get<double>() < 1))
    corrupt(file, "\"" + where + key + "\" is " + core::json_excerpt(*it) + ", expected a number between 0 and 1");
  return it->get<float>();
}

Activation activation_at(const json& object, const std::string& where, const std::string& fallback,
                         const std::string& file) {
  const std::string name = string_at(object, "hidden_act", fallback, file);
  try {
    return parse_activation(name);
  } catch (const Error&) {
    throw Error(ErrorCode::unsupported, file + ": \"" + where + "hidden_act\" is \"" + name +
                                            "\" (supported: gelu, gelu_pytorch_tanh, quick_gelu)");
  }
}

struct Stated {  // what the config says, before the shapes are read
  int image_size = 0;  // the input resolution (the patches may not cover all of it)
  std::string image_size_from;
  int vision_heads = 0, text_heads = 0;
  std::string vision_heads_from, text_heads_from;
  int vision_head_width = 0;  // open_clip's fallback rule: heads = width / head_width
};

void read_hf_config(const json& config, const std::string& file, Config& c, Stated& s) {
  if (string_at(config, "model_type", "siglip", file) == "siglip2")
    throw Error(ErrorCode::unsupported, file + ": SigLIP 2 NaFlex models (model_type \"siglip2\": variable "
                                               "resolution and aspect) are not supported; the fixed-resolution "
                                               "SigLIP 2 checkpoints (model_type \"siglip\") are");
  const json& text = io::json_section(config, "text_config", file);
  const json& vision = io::json_section(config, "vision_config", file);
  if (vision.contains("vision_use_head") && vision["vision_use_head"] == false)
    throw Error(ErrorCode::unsupported, file + ": vision_config.vision_use_head is false (no MAP head); not supported");
  // Defaults from transformers' SiglipTextConfig / SiglipVisionConfig.
  s.image_size = static_cast<int>(io::json_dim_or(vision, "vision_config.", "image_size", 224, file));
  s.image_size_from = "vision_config.image_size";
  s.vision_heads = static_cast<int>(io::json_dim_or(vision, "vision_config.", "num_attention_heads", 12, file));
  s.text_heads = static_cast<int>(io::json_dim_or(text, "text_config.", "num_attention_heads", 12, file));
  s.vision_heads_from = vision.contains("num_attention_heads") ? "vision_config.num_attention_heads"
                                                               : "SiglipVisionConfig's default";
  s.text_heads_from = text.contains("num_attention_heads") ? "text_config.num_attention_heads"
                                                           : "SiglipTextConfig's default";
  c.vision_activation = activation_at(vision, "vision_config.", "gelu_pytorch_tanh", file);
  c.head_activation = c.vision_activation;  // modeling_siglip: the head's MLP uses hidden_act too
  c.text_activation = activation_at(text, "text_config.", "gelu_pytorch_tanh", file);
  c.vision_eps = eps_at(vision, "layer_norm_eps", 1e-6f, "vision_config.", file);
  c.text_eps = eps_at(text, "layer_norm_eps", 1e-6f, "text_config.", file);
  c.choices.push_back({"config", "Hugging Face SiglipConfig (config.json)"});
  c.choices.push_back({"activations", std::string("vision ") + to_string(c.vision_activation) + ", text " +
                                         to_string(c.text_activation) + " (hidden_act)"});
}

void read_open_clip_config(const json& config, const std::string& file, Config& c, Stated& s) {
  const json& model = io::json_section(config, "model_cfg", file);
  const json& vision = io::json_section(model, "vision_cfg", file);
  const json& text = io::json_section(model, "text_cfg", file);
  const std::string timm_name = string_at(vision, "timm_model_name", "", file);
  const std::string pool = string_at(vision, "timm_pool", "avg", file);
  if (timm_name.empty() || pool != "map")
    throw Error(ErrorCode::unsupported, file + ": a SigLIP vision tower must be a timm ViT with timm_pool \"map\" "
                                               "(got timm_model_name \"" + timm_name + "\", timm_pool \"" + pool + "\")");
  if (string_at(text, "pool_type", "argmax", file) != "last" || !text.value("no_causal_mask", false))
    throw Error(ErrorCode::unsupported, file + ": a SigLIP text tower has pool_type \"last\" and no_causal_mask "
                                               "true; this config says otherwise");
  s.image_size = static_cast<int>(io::json_dim_or(vision, "model_cfg.vision_cfg.", "image_size", 224, file));
  s.image_size_from = "vision_cfg.image_size";
  Activation timm_act = Activation::gelu;
  int heads = 0;
  if (known_timm_tower(timm_name, heads, timm_act)) {
    s.vision_heads = heads;
    s.vision_heads_from = "timm's " + timm_name;
  } else {
    s.vision_head_width = static_cast<int>(io::json_dim_or(vision, "model_cfg.vision_cfg.", "head_width", 64, file));
    s.vision_heads_from = vision.contains("head_width")
                              ? "width / vision_cfg.head_width (" + std::to_string(s.vision_head_width) + ")"
                              : "width / 64 (open_clip's default head width; timm model \"" + timm_name +
                                    "\" is not one clipkit knows)";
  }
  c.vision_activation = timm_act;
  c.head_activation = timm_act;
  s.text_heads = static_cast<int>(io::json_dim_or(text, "model_cfg.text_cfg.", "heads", 8, file));
  s.text_heads_from = text.contains("heads") ? "text_cfg.heads" : "open_clip's default (8)";
  // open_clip's TextTransformer: nn.GELU(**act_kwargs), QuickGELU when quick_gelu is set.
  c.text_activation = Activation::gelu;
  if (model.value("quick_gelu", false)) c.text_activation = Activation::quick_gelu;
  const json& act = io::json_section(text, "act_kwargs", file);
  if (string_at(act, "approximate", "none", file) == "tanh") c.text_activation = Activation::gelu_tanh;
  c.text_eps = eps_at(io::json_section(text, "norm_kwargs", file), "eps", 1e-5f, "text_cfg.norm_kwargs.", file);
  c.vision_eps = 1e-6f;  // timm's ViT LayerNorm
  c.choices.push_back({"config", "open_clip model_cfg (open_clip_config.json), timm tower " + timm_name});
  c.choices.push_back({"activations", std::string("vision ") + to_string(c.vision_activation) +
                                         (heads ? " (timm's " + timm_name + ")" : " (timm's default)") + ", text " +
                                         to_string(c.text_activation) + " (text_cfg.act_kwargs)"});
}

// ---- shapes -----------------------------------------------------------------------

int count_blocks(const Tensors& t, const std::string& prefix, const std::string& probe) {
  int n = 0;
  while (t.count(prefix + std::to_string(n) + "." + probe)) ++n;
  return n;
}

int dim(int64_t v) { return static_cast<int>(v); }

void add_vision_block(std::vector<std::pair<std::string, Shape>>& out, const std::string& p, int64_t w, int64_t m) {
  out.push_back({p + "norm1.weight", {w}});
  out.push_back({p + "norm1.bias", {w}});
  out.push_back({p + "attn.qkv.weight", {3 * w, w}});
  out.push_back({p + "attn.qkv.bias", {3 * w}});
  out.push_back({p + "attn.proj.weight", {w, w}});
  out.push_back({p + "attn.proj.bias", {w}});
  out.push_back({p + "norm2.weight", {w}});
  out.push_back({p + "norm2.bias", {w}});
  out.push_back({p + "mlp.fc1.weight", {m, w}});
  out.push_back({p + "mlp.fc1.bias", {m}});
  out.push_back({p + "mlp.fc2.weight", {w, m}});
  out.push_back({p + "mlp.fc2.bias", {w}});
}

void add_text_block(std::vector<std::pair<std::string, Shape>>& out, const std::string& p, int64_t w, int64_t m) {
  out.push_back({p + "ln_1.weight", {w}});
  out.push_back({p + "ln_1.bias", {w}});
  out.push_back({p + "attn.in_proj_weight", {3 * w, w}});
  out.push_back({p + "attn.in_proj_bias", {3 * w}});
  out.push_back({p + "attn.out_proj.weight", {w, w}});
  out.push_back({p + "attn.out_proj.bias", {w}});
  out.push_back({p + "ln_2.weight", {w}});
  out.push_back({p + "ln_2.bias", {w}});
  out.push_back({p + "mlp.c_fc.weight", {m, w}});
  out.push_back({p + "mlp.c_fc.bias", {m}});
  out.push_back({p + "mlp.c_proj.weight", {w, m}});
  out.push_back({p + "mlp.c_proj.bias", {w}});
}

std::vector<std::pair<std::string, Shape>> expected_tensors(const Config& c, bool text_bias) {
  std::vector<std::pair<std::string, Shape>> out;
  const int64_t w = c.vision_width, p = c.patch_size, g = c.image_size / c.patch_size, tw = c.text_width;
  // (g from the config's image size; load_weights checked it against pos_embed.)
  const std::string v = "visual.trunk.";
  out.push_back({v + "patch_embed.proj.weight", {w, 3, p, p}});
  out.push_back({v + "patch_embed.proj.bias", {w}});
  out.push_back({v + "pos_embed", {1, g * g, w}});
  for (int i = 0; i < c.vision_layers; ++i) add_vision_block(out, v + "blocks." + std::to_string(i) + ".", w, c.vision_mlp);
  out.push_back({v + "norm.weight", {w}});
  out.push_back({v + "norm.bias", {w}});
  const std::string a = v + "attn_pool.";
  out.push_back({a + "latent", {1, 1, w}});
  out.push_back({a + "q.weight", {w, w}});
  out.push_back({a + "q.bias", {w}});
  out.push_back({a + "kv.weight", {2 * w, w}});
  out.push_back({a + "kv.bias", {2 * w}});
  out.push_back({a + "proj.weight", {w, w}});
  out.push_back({a + "proj.bias", {w}});
  out.push_back({a + "norm.weight", {w}});
  out.push_back({a + "norm.bias", {w}});
  out.push_back({a + "mlp.fc1.weight", {c.head_mlp, w}});
  out.push_back({a + "mlp.fc1.bias", {c.head_mlp}});
  out.push_back({a + "mlp.fc2.weight", {w, c.head_mlp}});
  out.push_back({a + "mlp.fc2.bias", {w}});
  out.push_back({"text.token_embedding.weight", {c.vocab_size, tw}});
  out.push_back({"text.positional_embedding", {c.context_length, tw}});
  for (int i = 0; i < c.text_layers; ++i)
    add_text_block(out, "text.transformer.resblocks." + std::to_string(i) + ".", tw, c.text_mlp);
  out.push_back({"text.ln_final.weight", {tw}});
  out.push_back({"text.ln_final.bias", {tw}});
  out.push_back({"text.text_projection.weight", {c.embed_dim, tw}});
  if (text_bias) out.push_back({"text.text_projection.bias", {c.embed_dim}});
  out.push_back({"logit_scale", {1}});
  out.push_back({"logit_bias", {1}});
  return out;
}

void check_heads(const std::string& file, const char* tower, int width, int heads, const std::string& from) {
  if (heads >= 1 && heads <= width && width % heads == 0) return;
  corrupt(file, std::string(tower) + " width " + std::to_string(width) + " (from the weights) is not divisible by " +
                    std::to_string(heads) + " attention heads (" + from + ")");
}


BlockWeights take_vision_block(Tensors& t, const std::string& p) {
  BlockWeights b;
  b.ln_1_weight = take(t, p + "norm1.weight");
  b.ln_1_bias = take(t, p + "norm1.bias");
  b.in_proj_weight = take(t, p + "attn.qkv.weight");
  b.in_proj_bias = take(t, p + "attn.qkv.bias");
  b.out_proj_weight = take(t, p + "attn.proj.weight");
  b.out_proj_bias = take(t, p + "attn.proj.bias");
  b.ln_2_weight = take(t, p + "norm2.weight");
  b.ln_2_bias = take(t, p + "norm2.bias");
  b.c_fc_weight = take(t, p + "mlp.fc1.weight");
  b.c_fc_bias = take(t, p + "mlp.fc1.bias");
  b.c_proj_weight = take(t, p + "mlp.fc2.weight");
  b.c_proj_bias = take(t, p + "mlp.fc2.bias");
  return b;
}

BlockWeights take_text_block(Tensors& t, const std::string& p) {
  BlockWeights b;
  b.ln_1_weight = take(t, p + "ln_1.weight");
  b.ln_1_bias = take(t, p + "ln_1.bias");
  b.in_proj_weight = take(t, p + "attn.in_proj_weight");
  b.in_proj_bias = take(t, p + "attn.in_proj_bias");
  b.out_proj_weight = take(t, p + "attn.out_proj.weight");
  b.out_proj_bias = take(t, p + "attn.out_proj.bias");
  b.ln_2_weight = take(t, p + "ln_2.weight");
  b.ln_2_bias = take(t, p + "ln_2.bias");
  b.c_fc_weight = take(t, p + "mlp.c_fc.weight");
  b.c_fc_bias = take(t, p + "mlp.c_fc.bias");
  b.c_proj_weight = take(t, p + "mlp.c_proj.weight");
  b.c_proj_bias = take(t, p + "mlp.c_proj.bias");
  return b;
}

}  // namespace

bool known_timm_tower(const std::string& name, int& heads, Activation& activation) {
  // timm's vision_transformer.py (1.0.x): every *_siglip_* model with global_pool "map".
  // The "_gap_" variants pool by averaging and are not SigLIP image towers clipkit runs.
  struct Known {
    const char* prefix;
    int heads;
    Activation activation;
  };
  static const Known kKnown[] = {
      {"vit_base_patch16_siglip_", 12, Activation::gelu},
      {"vit_base_patch32_siglip_", 12, Activation::gelu_tanh},
      {"vit_large_patch16_siglip_512", 16, Activation::gelu_tanh},
      {"vit_large_patch16_siglip_", 16, Activation::gelu},
      {"vit_so400m_patch14_siglip_", 16, Activation::gelu},
      {"vit_so400m_patch16_siglip_", 16, Activation::gelu_tanh},
      {"vit_giantopt_patch16_siglip_", 16, Activation::gelu_tanh},
  };
  if (name.find("_gap_") != std::string::npos) return false;
  for (const Known& k : kKnown) {
    if (name.starts_with(k.prefix)) {
      heads = k.heads;
      activation = k.activation;
      return true;
    }
  }
  return false;
}

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Tensors tensors = std::move(ckpt.tensors);
  const bool hf = tensors.count("vision_model.head.probe") > 0;
  if (hf) tensors = map_hf(std::move(tensors), file);
  if (!ckpt.config_file)
    throw Error(ErrorCode::not_found, file + ": SigLIP weights need the config that describes them "
                                             "(config.json or open_clip_config.json beside the weights)");
  const std::string config_name = ckpt.config_file->string();
  const json config = io::read_json_config(*ckpt.config_file);
  if (!config.is_object()) corrupt(config_name, "not a JSON object");

  Weights w;
  Config& c = w.config;
  Stated stated;
  if (config.contains("model_cfg")) {
    read_open_clip_config(config, config_name, c, stated);
  } else {
    read_hf_config(config, config_name, c, stated);
  }

  // Dimensions from the shapes.
  const auto& patch = require(tensors, "visual.trunk.patch_embed.proj.weight", 4, file);
  const auto& pos = require(tensors, "visual.trunk.pos_embed", 3, file);
  const auto& fc1 = require(tensors, "visual.trunk.attn_pool.mlp.fc1.weight", 2, file);
  const auto& tok = require(tensors, "text.token_embedding.weight", 2, file);
  const auto& tpos = require(tensors, "text.positional_embedding", 2, file);
  const auto& head = require(tensors, "text.text_projection.weight", 2, file);
  c.vision_width = dim(patch.shape[0]);
  c.patch_size = dim(patch.shape[3]);
  const int grid = static_cast<int>(std::lround(std::sqrt(static_cast<double>(pos.shape[1]))));
  if (static_cast<int64_t>(grid) * grid != pos.shape[1] || pos.shape[1] < 1)
    corrupt(file, "the vision position embedding has " + std::to_string(pos.shape[1]) +
                      " rows, not a square grid of patches");
  // The input size is the config's: a patch that does not divide it (SO400M/14 at 384
  // px) leaves the last pixels out of the conv, as torch's Conv2d does.
  c.image_size = stated.image_size;
  if (c.image_size / c.patch_size != grid)
    corrupt(file, stated.image_size_from + " " + std::to_string(c.image_size) + " with " +
                      std::to_string(c.patch_size) + "-pixel patches gives " +
                      std::to_string(c.image_size / c.patch_size) + "² patches, but the position embedding has " +
                      std::to_string(pos.shape[1]) + " rows");
  c.vision_layers = count_blocks(tensors, "visual.trunk.blocks.", "attn.qkv.weight");
  c.text_layers = count_blocks(tensors, "text.transformer.resblocks.", "attn.in_proj_weight");
  if (c.vision_layers == 0 || c.text_layers == 0)
    throw Error(ErrorCode::not_found, file + ": no transformer blocks found (expected '" +
                                          (c.vision_layers == 0 ? "visual.trunk.blocks.0.attn.qkv.weight"
                                                                : "text.transformer.resblocks.0.attn.in_proj_weight") +
                                          "')");
  c.vision_mlp = dim(require(tensors, "visual.trunk.blocks.0.mlp.fc1.weight", 2, file).shape[0]);
  c.text_mlp = dim(require(tensors, "text.transformer.resblocks.0.mlp.c_fc.weight", 2, file).shape[0]);
  c.head_mlp = dim(fc1.shape[0]);
  c.vocab_size = dim(tok.shape[0]);
  c.text_width = dim(tok.shape[1]);
  c.context_length = dim(tpos.shape[0]);
  c.embed_dim = dim(head.shape[0]);
  if (c.embed_dim != c.vision_width)
    corrupt(file, "the text head gives " + std::to_string(c.embed_dim) + "-d embeddings but the image tower " +
                      std::to_string(c.vision_width) + "-d (SigLIP's image embedding is the MAP head's output)");
  c.vision_heads = stated.vision_heads ? stated.vision_heads
                                       : std::max(1, c.vision_width / stated.vision_head_width);
  c.text_heads = stated.text_heads;
  check_heads(file, "vision", c.vision_width, c.vision_heads, stated.vision_heads_from);
  check_heads(file, "text", c.text_width, c.text_heads, stated.text_heads_from);
  c.choices.insert(c.choices.begin(),
                   {{"vision heads", std::to_string(c.vision_heads) + " (" + stated.vision_heads_from + ")"},
                    {"text heads", std::to_string(c.text_heads) + " (" + stated.text_heads_from + ")"}});
  c.choices.push_back({"pooling", "image: MAP head (probe attention, token 0); text: last position"});
  c.choices.push_back({"score", "sigmoid(exp(logit_scale)·cos + logit_bias), per text"});

  // Every tensor: present, the right shape, nothing else.
  const bool text_bias = tensors.count("text.text_projection.bias") > 0;
  w.parameters = check_tensor_set(tensors, expected_tensors(c, text_bias), io::is_non_parameter, file,
                                  "a SigLIP with " + std::to_string(c.vision_layers) + " vision and " +
                                      std::to_string(c.text_layers) + " text layers");

  VisionWeights& v = w.vision;
  const std::string vt = "visual.trunk.", ap = "visual.trunk.attn_pool.";
  v.patch_weight = take(tensors, vt + "patch_embed.proj.weight");
  v.patch_bias = take(tensors, vt + "patch_embed.proj.bias");
  v.pos_embed = take(tensors, vt + "pos_embed");
  for (int i = 0; i < c.vision_layers; ++i)
    v.blocks.push_back(take_vision_block(tensors, vt + "blocks." + std::to_string(i) + "."));
  v.norm_weight = take(tensors, vt + "norm.weight");
  v.norm_bias = take(tensors, vt + "norm.bias");
  v.probe = take(tensors, ap + "latent");
  v.q_weight = take(tensors, ap + "q.weight");
  v.q_bias = take(tensors, ap + "q.bias");
  v.kv_weight = take(tensors, ap + "kv.weight");
  v.kv_bias = take(tensors, ap + "kv.bias");
  v.proj_weight = take(tensors, ap + "proj.weight");
  v.proj_bias = take(tensors, ap + "proj.bias");
  v.head_norm_weight = take(tensors, ap + "norm.weight");
  v.head_norm_bias = take(tensors, ap + "norm.bias");
  v.fc1_weight = take(tensors, ap + "mlp.fc1.weight");
  v.fc1_bias = take(tensors, ap + "mlp.fc1.bias");
  v.fc2_weight = take(tensors, ap + "mlp.fc2.weight");
  v.fc2_bias = take(tensors, ap + "mlp.fc2.bias");
  TextWeights& t = w.text;
  t.token_embedding = take(tensors, "text.token_embedding.weight");
  t.positional_embedding = take(tensors, "text.positional_embedding");
  for (int i = 0; i < c.text_layers; ++i)
    t.blocks.push_back(take_text_block(tensors, "text.transformer.resblocks." + std::to_string(i) + "."));
  t.ln_final_weight = take(tensors, "text.ln_final.weight");
  t.ln_final_bias = take(tensors, "text.ln_final.bias");
  t.head_weight = take(tensors, "text.text_projection.weight");
  if (text_bias) t.head_bias = take(tensors, "text.text_projection.bias");
  const float scale = tensors.at("logit_scale").data.at(0), bias = tensors.at("logit_bias").data.at(0);
  if (!std::isfinite(scale) || !std::isfinite(bias)) corrupt(file, "logit_scale or logit_bias is not finite");
  w.logit_scale = std::exp(scale);
  w.logit_bias = bias;
  return w;
}

}  // namespace clipkit::model::siglip
