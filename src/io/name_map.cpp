#include "io/name_map.hpp"

#include <array>
#include <cctype>
#include <vector>

#include "clipkit/error.hpp"
#include "io/dtype.hpp"

namespace clipkit::io {
namespace {

bool replace_prefix(std::string& s, std::string_view from, std::string_view to) {
  if (!s.starts_with(from)) return false;
  s.replace(0, from.size(), to);
  return true;
}

// "encoder.layers.N.rest" with the prefix already removed: returns "N" and "rest".
bool split_layer(std::string_view s, std::string_view& index, std::string_view& rest) {
  const auto dot = s.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  for (char c : s.substr(0, dot)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  index = s.substr(0, dot);
  rest = s.substr(dot + 1);
  return true;
}

std::string map_layer_rest(std::string rest) {
  replace_prefix(rest, "self_attn.out_proj.", "attn.out_proj.") ||
      replace_prefix(rest, "layer_norm1.", "ln_1.") ||
      replace_prefix(rest, "mlp.fc1.", "mlp.c_fc.") ||
      replace_prefix(rest, "mlp.fc2.", "mlp.c_proj.") ||
      replace_prefix(rest, "layer_norm2.", "ln_2.");
  return rest;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kDirect = {{
    {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
    {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
    {"text_model.final_layer_norm.weight", "ln_final.weight"},
    {"text_model.final_layer_norm.bias", "ln_final.bias"},
    {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
    {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
    {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
    {"vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"},
    {"vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"},
    {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
    {"vision_model.post_layernorm.bias", "visual.ln_post.bias"},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kTowers = {{
    {"text_model.encoder.layers.", "transformer.resblocks."},
    {"vision_model.encoder.layers.", "visual.transformer.resblocks."},
}};

constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kTransposed = {{
    {"text_projection.weight", "text_projection"},
    {"visual_projection.weight", "visual.proj"},
}};

// For "…layers.N.self_attn.{q,k,v}_proj.{weight,bias}": the OpenAI target name, which
// projection (0 q, 1 k, 2 v).
std::optional<std::pair<std::string, int>> qkv_target(std::string_view name) {
  for (const auto& [from, to] : kTowers) {
    if (!name.starts_with(from)) continue;
    std::string_view index, rest;
    if (!split_layer(name.substr(from.size()), index, rest)) return std::nullopt;
    static constexpr std::string_view kProj[] = {"self_attn.q_proj.", "self_attn.k_proj.",
                                                 "self_attn.v_proj."};
    for (int p = 0; p < 3; ++p) {
      if (!rest.starts_with(kProj[p])) continue;
      const std::string_view leaf = rest.substr(kProj[p].size());
      if (leaf != "weight" && leaf != "bias") return std::nullopt;
      return std::make_pair(std::string(to) + std::string(index) + ".attn.in_proj_" +
                                std::string(leaf),
                            p);
    }
  }
  return std::nullopt;
}

}  // namespace

bool looks_like_hf_clip(const std::map<std::string, Tensor>& tensors) {
  for (const auto& entry : tensors) {
    if (entry.first.starts_with("text_model.") || entry.first.starts_with("vision_model.")) {
      return true;
    }
  }
  return false;
}

std::optional<std::string> hf_to_openai_name(std::string_view hf_name) {
  if (hf_name.ends_with("position_ids")) return std::nullopt;
  for (const auto& [from, to] : kTransposed) {
    if (hf_name == from) return std::nullopt;
  }
  if (qkv_target(hf_name)) return std::nullopt;
  for (const auto& [from, to] : kDirect) {
    if (hf_name == from) return std::string(to);
  }
  for (const auto& [from, to] : kTowers) {
    if (!hf_name.starts_with(from)) continue;
    std::string_view index, rest;
    if (!split_layer(hf_name.substr(from.size()), index, rest)) break;
    return std::string(to) + std::string(index) + "." + map_layer_rest(std::string(rest));
  }
  return std::string(hf_name);
}

Tensor transpose_2d(const Tensor& t) {
  const int64_t rows = t.shape[0];
  const int64_t cols = t.shape[1];
  Tensor out;
  out.shape = {cols, rows};
  out.data.resize(t.data.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      out.data[static_cast<size_t>(c * rows + r)] = t.data[static_cast<size_t>(r * cols + c)];
    }
  }
  return out;
}

std::map<std::string, Tensor> map_hf_to_openai(std::map<std::string, Tensor> hf,
                                               const std::string& display_name) {
  std::map<std::string, Tensor> out;
  // target name -> q, k, v parts
  std::map<std::string, std::array<const Tensor*, 3>> qkv;
  for (auto& [name, tensor] : hf) {
    if (name.ends_with("position_ids")) continue;
    if (auto target = qkv_target(name)) {
      qkv[target->first][static_cast<size_t>(target->second)] = &tensor;
      continue;
    }
    bool transposed = false;
    for (const auto& [from, to] : kTransposed) {
      if (name != from) continue;
      if (tensor.shape.size() != 2) {
        throw Error(ErrorCode::corrupt_data, display_name + ": tensor '" + name +
                                                 "' has shape " + shape_string(tensor.shape) +
                                                 ", expected 2-D [embed, width]");
      }
      out[std::string(to)] = transpose_2d(tensor);
      transposed = true;
    }
    if (transposed) continue;
    out[*hf_to_openai_name(name)] = std::move(tensor);
  }
  for (const auto& [target, parts] : qkv) {
    static constexpr const char* kPart[] = {"q_proj", "k_proj", "v_proj"};
    for (int p = 0; p < 3; ++p) {
      if (parts[static_cast<size_t>(p)] == nullptr) {
        throw Error(ErrorCode::corrupt_data, display_name + ": " + target + ": the " +
                                                 kPart[p] + " part of the attention projection " +
                                                 "is missing");
      }
    }
    const Tensor& q = *parts[0];
    for (int p = 1; p < 3; ++p) {
      if (parts[static_cast<size_t>(p)]->shape != q.shape) {
        throw Error(ErrorCode::corrupt_data,
                    display_name + ": " + target + ": " + kPart[p] + " has shape " +
                        shape_string(parts[static_cast<size_t>(p)]->shape) + ", q_proj has " +
                        shape_string(q.shape));
      }
    }
    if (q.shape.empty()) {
      throw Error(ErrorCode::corrupt_data, display_name + ": " + target + ": q_proj is a scalar");
    }
    Tensor joined;
    joined.shape = q.shape;
    joined.shape[0] *= 3;
    joined.data.reserve(q.data.size() * 3);
    for (const Tensor* part : parts) {
      joined.data.insert(joined.data.end(), part->data.begin(), part->data.end());
    }
    out[target] = std::move(joined);
  }
  return out;
}

bool looks_like_hf_chinese_clip(const std::map<std::string, Tensor>& tensors) {
  return tensors.count("text_model.embeddings.word_embeddings.weight") ||
         tensors.count("text_model.embeddings.token_type_embeddings.weight");
}

std::map<std::string, Tensor> map_hf_chinese_clip_to_cn_clip(std::map<std::string, Tensor> hf,
                                                             const std::string& display_name) {
  // The model layer would report these under their cn_clip names; name the stored ones.
  for (const char* projection : {"text_projection.weight", "visual_projection.weight"}) {
    if (!hf.count(projection))
      throw Error(ErrorCode::not_found, display_name + ": missing tensor '" + projection +
                                            "' (a ChineseCLIPModel's projection, a Linear without bias)");
  }
  std::map<std::string, Tensor> renamed;
  for (auto& [name, tensor] : hf) {
    std::string target = name;
    // token_type_ids: BertEmbeddings' all-zero buffer, which older files may carry.
    if (target == "text_model.embeddings.token_type_ids") continue;
    replace_prefix(target, "text_model.", "bert.");
    renamed[target] = std::move(tensor);
  }
  // What is left is CLIPModel's naming: bert.* has no rule there and passes unchanged.
  return map_hf_to_openai(std::move(renamed), display_name);
}

bool is_non_parameter(std::string_view name) {
  return name == "input_resolution" || name == "context_length" || name == "vocab_size" ||
         name.ends_with(".attn_mask") || name == "attn_mask" || name.ends_with("position_ids");
}

void drop_non_parameters(std::map<std::string, Tensor>& tensors) {
  std::erase_if(tensors, [](const auto& entry) { return is_non_parameter(entry.first); });
}

}  // namespace clipkit::io
