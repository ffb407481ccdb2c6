// Chinese-CLIP's tensors: names, shapes, dimensions.
#include <cmath>
#include <cstdio>
#include <tuple>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "core/json_excerpt.hpp"
#include "io/config_file.hpp"
#include "model/chinese_clip/chinese_clip.hpp"

namespace clipkit::model::chinese_clip {

namespace {

const std::string kBert = "bert.";

using nlohmann::json;

// What transformers' ChineseCLIPConfig (the config.json beside a ChineseCLIPModel) says
// that the shapes do not: heads, activations, LayerNorm eps — its defaults where a key is
// absent, as transformers would take them. The dimensions it states must be the weights'.
class StatedConfig {
 public:
  explicit StatedConfig(const std::filesystem::path& path)
      : file_(path.string()), config_(io::read_json_config(path)) {
    if (!config_.is_object()) corrupt("not a JSON object");
    const auto type = config_.find("model_type");
    if (type != config_.end() && *type != "chinese_clip")
      corrupt("\"model_type\" is " + core::json_excerpt(*type) + ", expected \"chinese_clip\" beside a "
              "ChineseCLIPModel's weights");
    text_ = &io::json_section(config_, "text_config", file_);
    vision_ = &io::json_section(config_, "vision_config", file_);
  }

  int heads(bool text) const {
    return static_cast<int>(io::json_dim_or(section(text), where(text), "num_attention_heads", 12, file_));
  }
  Activation activation(bool text) const {
    const std::string name = string_or(section(text), "hidden_act", text ? "gelu" : "quick_gelu");
    try {
      return parse_activation(name);
    } catch (const Error&) {
      throw Error(ErrorCode::unsupported, file_ + ": \"" + where(text) + "hidden_act\" is \"" + name +
                                              "\" (supported: gelu, gelu_pytorch_tanh, quick_gelu)");
    }
  }
  float eps(bool text) const {
    const json& s = section(text);
    const auto it = s.find("layer_norm_eps");
    if (it == s.end() || it->is_null()) return text ? 1e-12f : 1e-5f;
    if (!it->is_number() || !(it->get<double>() > 0) || !(it->get<double>() < 1)) {
      // An lvalue key: "…" + a temporary std::string trips GCC 12's -Wrestrict (a false
      // positive in the inlined basic_string::insert).
      const std::string key = where(text) + "layer_norm_eps";
      corrupt("\"" + key + "\" is " + core::json_excerpt(*it) + ", expected a number between 0 and 1");
    }
    return it->get<float>();
  }
  // A dimension the config states must be the one the weights have.
  void agree(const char* section_key, const char* key, int64_t from_weights, const std::string& what) const {
    const json& s = section_key == std::string("text_config") ? *text_
                    : section_key == std::string("vision_config") ? *vision_ : config_;
    const std::string w = *section_key ? std::string(section_key) + "." : "";
    if (!s.contains(key) || s[key].is_null()) return;
    const int64_t stated = io::json_dim_or(s, w, key, from_weights, file_);
    if (stated != from_weights)
      corrupt("\"" + w + key + "\" is " + std::to_string(stated) + " but the weights have " +
              std::to_string(from_weights) + " (" + what + ")");
  }

 private:
  [[noreturn]] void corrupt(const std::string& what) const { throw Error(ErrorCode::corrupt_data, file_ + ": " + what); }
  const json& section(bool text) const { return text ? *text_ : *vision_; }
  static std::string where(bool text) { return text ? "text_config." : "vision_config."; }
  std::string string_or(const json& s, const char* key, const std::string& fallback) const {
    const auto it = s.find(key);
    if (it == s.end() || it->is_null()) return fallback;
    if (!it->is_string()) corrupt("\"" + std::string(key) + "\" is " + core::json_excerpt(*it) + ", expected a string");
    return it->get<std::string>();
  }

  std::string file_;
  json config_;
  const json* text_ = nullptr;
  const json* vision_ = nullptr;
};

// transformers' ChineseCLIPModel: the config's heads, activations and eps replace cn_clip's
// fixed choices (cn_clip's configs and OFA-Sys' converted ones agree on every released size).
void apply_stated_config(const io::Checkpoint& ckpt, Config& c) {
  const StatedConfig stated(*ckpt.config_file);
  const std::string from = " (" + ckpt.config_file->filename().string() + ")";
  c.vision.vision_heads = stated.heads(false);
  c.text.heads = stated.heads(true);
  for (const auto& [width, heads, what] : {std::tuple{c.vision.vision_width, c.vision.vision_heads, "vision"},
                                           std::tuple{c.text.width, c.text.heads, "text"}})
    if (width % heads != 0)
      throw Error(ErrorCode::corrupt_data, ckpt.path.string() + ": " + what + " width " + std::to_string(width) +
                                               " (from the weights) is not divisible by " + std::to_string(heads) +
                                               " attention heads" + from);
  c.vision.activation = stated.activation(false);
  c.text.activation = stated.activation(true);
  c.text.eps = stated.eps(true);
  // model/towers.cpp's ViT normalizes with 1e-5 (OpenAI's and transformers' default).
  if (const float eps = stated.eps(false); std::fabs(eps - 1e-5f) > 1e-12f)
    throw Error(ErrorCode::unsupported, ckpt.config_file->string() + ": \"vision_config.layer_norm_eps\" is " +
                                            std::to_string(eps) + "; clipkit's ViT uses 1e-5");
  stated.agree("text_config", "hidden_size", c.text.width, "text_model.embeddings.word_embeddings.weight");
  stated.agree("text_config", "num_hidden_layers", c.text.layers, "text_model.encoder.layer.N");
  stated.agree("text_config", "intermediate_size", c.text.intermediate, "intermediate.dense.weight");
  stated.agree("text_config", "vocab_size", c.text.vocab_size, "text_model.embeddings.word_embeddings.weight");
  stated.agree("text_config", "max_position_embeddings", c.text.max_positions,
               "text_model.embeddings.position_embeddings.weight");
  stated.agree("text_config", "type_vocab_size", c.text.type_vocab_size,
               "text_model.embeddings.token_type_embeddings.weight");
  stated.agree("vision_config", "hidden_size", c.vision.vision_width, "patch_embedding.weight");
  stated.agree("vision_config", "num_hidden_layers", c.vision.vision_layers, "vision_model.encoder.layers.N");
  stated.agree("vision_config", "patch_size", c.vision.vision_patch_size, "patch_embedding.weight");
  stated.agree("vision_config", "image_size", c.vision.image_resolution, "position_embedding.weight");
  stated.agree("vision_config", "intermediate_size", 4 * int64_t{c.vision.vision_width},
               "4 x hidden_size: clipkit's ViT MLP");
  stated.agree("", "projection_dim", c.embed_dim, "text_projection.weight");
  c.choices.push_back({"config", "transformers' ChineseCLIPConfig" + from + ": heads, activations, LayerNorm eps"});
  c.choices.push_back({"vision heads", std::to_string(c.vision.vision_heads) + " (vision_config.num_attention_heads)"});
  c.choices.push_back({"vision activation", std::string(to_string(c.vision.activation)) + " (vision_config.hidden_act)"});
  c.choices.push_back({"text heads", std::to_string(c.text.heads) + " (text_config.num_attention_heads)"});
  c.choices.push_back({"text activation", std::string(to_string(c.text.activation)) + " (text_config.hidden_act)"});
  char eps[32];
  std::snprintf(eps, sizeof eps, "%g", c.text.eps);
  c.choices.push_back({"text LayerNorm eps", std::string(eps) + " (text_config.layer_norm_eps)"});
  c.choices.push_back({"text pooling", "[CLS] (position 0), pad id 0 masked"});
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
  c.text = bert::infer_config(ckpt.tensors, kBert, file);  // BERT's defaults: eps 1e-12, pad 0, CLS
  const auto& projection = require(ckpt.tensors, "text_projection", 2, file);
  const auto& visual_projection = require(ckpt.tensors, "visual.proj", 2, file);
  c.embed_dim = static_cast<int>(projection.shape[1]);
  if (ckpt.config_file) {
    apply_stated_config(ckpt, c);
  } else {
    c.vision.activation = Activation::quick_gelu;  // cn_clip's ResidualAttentionBlock
    c.choices.push_back({"vision activation", "quick_gelu (cn_clip's VisualTransformer)"});
    if (c.vision.vision_width == 1280) {
      // cn_clip's ViT-H-14.json: vision_head_width 80.
      c.vision.vision_heads = 16;
      c.choices.push_back({"vision heads", "16 (width 1280: cn_clip's ViT-H-14, head width 80)"});
    } else {
      c.choices.push_back({"vision heads", std::to_string(c.vision.vision_heads) + " (width / 64, as cn_clip)"});
    }
    c.choices.push_back({"text heads", std::to_string(c.text.heads) + " (width / 64, as cn_clip's configs)"});
    c.choices.push_back({"text activation", "gelu (exact, cn_clip's BERT hidden_act)"});
    c.choices.push_back({"text LayerNorm eps", "1e-12 (post-norm BERT)"});
    c.choices.push_back({"text pooling", "[CLS] (position 0), pad id 0 masked"});
  }
  if (visual_projection.shape[1] != c.embed_dim)
    throw Error(ErrorCode::corrupt_data, file + ": visual.proj " + shape_string(visual_projection.shape) +
                                             " and text_projection " + shape_string(projection.shape) +
                                             " disagree on the embedding size");
  if (c.text.max_positions < kContextLength)
    throw Error(ErrorCode::corrupt_data, file + ": bert.embeddings.position_embeddings.weight has " +
                                             std::to_string(c.text.max_positions) + " positions, fewer than "
                                             "cn_clip's " + std::to_string(kContextLength) + " tokens per text");
  c.vision.embed_dim = c.embed_dim;
  const Activation vision_activation = c.vision.activation;
  bert::describe(c.text, c.context_length, c.vision);
  c.vision.activation = vision_activation;  // describe() set the text's; the ViT keeps its own
  return c;
}

}  // namespace

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Weights w;
  w.config = infer_config(ckpt);
  const Config& c = w.config;
  ShapeList expected;
  add_vision_tensors(expected, c.vision);  // visual.proj included
  expected.push_back({"logit_scale", {}});
  expected.push_back({"text_projection", {c.text.width, c.embed_dim}});
  bert::add_tensors(expected, c.text, kBert);
  w.parameters = check_tensor_set(
      ckpt.tensors, expected, [](const std::string& name) { return bert::ignorable(name, kBert); }, file,
      "a Chinese-CLIP with " + std::to_string(c.vision.vision_layers) + " vision and " +
          std::to_string(c.text.layers) + " BERT layers");
  w.vision = take_vision(ckpt, c.vision);
  w.text = bert::take(ckpt.tensors, c.text, kBert);
  w.text_projection = take(ckpt.tensors, "text_projection");
  w.logit_scale = logit_scale_of(ckpt.tensors, file);
  return w;
}

void pack(Weights& w, kernels::Precision precision) {
  const Config& c = w.config;
  w.projection = kernels::Linear(w.text_projection.data(), c.text.width, c.embed_dim, nullptr,
                                 kernels::Precision::fp32, /*w_in_by_out=*/true);
  Buffer().swap(w.text_projection);
  w.weight_bytes = pack_vision(w.vision, c.vision, precision) + bert::pack(w.text, precision) +
                   w.projection.weight_bytes();
}

}  // namespace clipkit::model::chinese_clip
