// open_clip's XLM-RoBERTa CLIPs: config, tensors, packing and the forward passes.
#include <algorithm>
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "io/config_file.hpp"
#include "io/name_map.hpp"
#include "model/towers.hpp"
#include "model/xlmr_clip/xlmr_clip.hpp"

namespace clipkit::model::xlmr_clip {

namespace {

using nlohmann::json;

const std::string kText = "text.transformer.";

std::string string_or(const json& object, const char* key, const std::string& fallback, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  if (!it->is_string()) throw Error(ErrorCode::corrupt_data, file + ": text_cfg." + key + " is not a string");
  return it->get<std::string>();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

// model_cfg.text_cfg of open_clip_config.json: which HF model, pooler and projection.
void read_text_cfg(const io::Checkpoint& ckpt, Config& c) {
  if (!ckpt.config_file)
    throw Error(ErrorCode::not_found, ckpt.path.string() + ": open_clip's HF text towers need open_clip_config.json "
                                                          "beside the weights (text_cfg names the model)");
  const std::string file = ckpt.config_file->string();
  const json config = io::read_json_config(*ckpt.config_file);
  const json& model = io::json_section(config, "model_cfg", file);
  const json& text = io::json_section(model, "text_cfg", file);
  c.hf_model_name = string_or(text, "hf_model_name", "", file);
  if (lower(c.hf_model_name).find("xlm-roberta") == std::string::npos)
    throw Error(ErrorCode::unsupported,
                file + ": text_cfg.hf_model_name '" + c.hf_model_name + "' is not supported (clipkit runs open_clip's "
                       "XLM-RoBERTa text towers: xlm-roberta-base, xlm-roberta-large)");
  // open_clip v2.24.0 CLIPTextCfg: hf_proj_type 'mlp', hf_pooler_type 'mean_pooler'.
  const auto proj = text.find("hf_proj_type");
  const std::string proj_type = proj == text.end() ? "mlp" : proj->is_null() ? "" : string_or(text, "hf_proj_type", "", file);
  if (proj_type == "mlp") c.projection = Projection::mlp;
  else if (proj_type == "linear") c.projection = Projection::linear;
  else if (proj_type.empty()) c.projection = Projection::none;
  else throw Error(ErrorCode::unsupported, file + ": text_cfg.hf_proj_type '" + proj_type + "' is not supported (mlp, linear)");
  const std::string pooler = string_or(text, "hf_pooler_type", "mean_pooler", file);
  if (pooler == "mean_pooler") c.text.pooling = bert::Pooling::mean;
  else if (pooler == "cls_last_hidden_state_pooler") c.text.pooling = bert::Pooling::cls;
  else throw Error(ErrorCode::unsupported, file + ": text_cfg.hf_pooler_type '" + pooler + "' is not supported "
                                                  "(mean_pooler, cls_last_hidden_state_pooler)");
  c.context_length = static_cast<int>(io::json_dim_or(text, "text_cfg.", "context_length", 77, file));
  c.choices.push_back({"text model", c.hf_model_name + " (text_cfg.hf_model_name): XLM-RoBERTa, LayerNorm eps 1e-5, "
                                     "position ids from 2, pad 1 masked"});
  c.choices.push_back({"text pooling", pooler + (c.text.pooling == bert::Pooling::mean
                                                     ? " (mean over the real tokens, <s> and </s> included)"
                                                     : " ([CLS], position 0)")});
  c.choices.push_back({"text projection", proj_type.empty() ? std::string("none") :
                                          proj_type == "mlp" ? "mlp: Linear → GELU → Linear, no biases"
                                                             : "linear, no bias"});
}

Config infer_config(const io::Checkpoint& ckpt) {
  const std::string file = ckpt.path.string();
  Config c;
  read_text_cfg(ckpt, c);
  infer_vision_config(ckpt, c.vision);  // ResNet → unsupported; heads from vision_cfg
  c.vision.activation = ckpt.activation == "quick_gelu" ? Activation::quick_gelu : Activation::gelu;
  c.choices.push_back({"vision activation", std::string(to_string(c.vision.activation)) +
                                                " (open_clip's quick_gelu flag)"});
  c.choices.push_back({"vision heads", std::to_string(c.vision.vision_heads)});
  const bert::Pooling pooling = c.text.pooling;
  c.text = bert::infer_config(ckpt.tensors, kText, file);
  c.text.pooling = pooling;
  c.text.eps = 1e-5f;
  c.text.positions = bert::Positions::roberta;
  c.text.pad_id = 1;
  c.choices.push_back({"text heads", std::to_string(c.text.heads) + " (width / 64: XLM-R base 12, large 16)"});
  c.embed_dim = static_cast<int>(require(ckpt.tensors, "visual.proj", 2, file).shape[1]);
  if (c.projection == Projection::mlp) c.projection_hidden = (c.text.width + c.embed_dim) / 2;
  if (c.projection == Projection::none && c.text.width != c.embed_dim)
    throw Error(ErrorCode::corrupt_data, file + ": no text projection (hf_proj_type null) but the text width " +
                                             std::to_string(c.text.width) + " is not the embedding size " +
                                             std::to_string(c.embed_dim));
  if (bert::max_tokens(c.text) < c.context_length)
    throw Error(ErrorCode::corrupt_data, file + ": " + kText + "embeddings.position_embeddings.weight has " +
                                             std::to_string(c.text.max_positions) + " positions, fewer than " +
                                             std::to_string(c.context_length) + " tokens per text + 2");
  c.vision.embed_dim = c.embed_dim;
  const Activation vision_activation = c.vision.activation;
  bert::describe(c.text, c.context_length, c.vision);
  c.vision.activation = vision_activation;  // describe() set the text's; the ViT keeps its own
  return c;
}

void add_projection(ShapeList& out, const Config& c) {
  const int64_t w = c.text.width, e = c.embed_dim, h = c.projection_hidden;
  if (c.projection == Projection::mlp) {
    out.push_back({"text.proj.0.weight", {h, w}});
    out.push_back({"text.proj.2.weight", {e, h}});
  } else if (c.projection == Projection::linear) {
    out.push_back({"text.proj.weight", {e, w}});
  }
}

}  // namespace

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Weights w;
  w.config = infer_config(ckpt);
  const Config& c = w.config;
  ShapeList expected;
  add_vision_tensors(expected, c.vision);
  expected.push_back({"logit_scale", {}});
  bert::add_tensors(expected, c.text, kText);
  add_projection(expected, c);
  w.parameters = check_tensor_set(
      ckpt.tensors, expected,
      [](const std::string& name) { return bert::ignorable(name, kText) || io::is_non_parameter(name); }, file,
      "an open_clip XLM-RoBERTa CLIP with " + std::to_string(c.vision.vision_layers) + " vision and " +
          std::to_string(c.text.layers) + " text layers");
  w.vision = take_vision(ckpt, c.vision);
  w.text = bert::take(ckpt.tensors, c.text, kText);
  if (c.projection == Projection::mlp) {
    w.proj_0 = take(ckpt.tensors, "text.proj.0.weight");
    w.proj_2 = take(ckpt.tensors, "text.proj.2.weight");
  } else if (c.projection == Projection::linear) {
    w.proj_0 = take(ckpt.tensors, "text.proj.weight");
  }
  w.logit_scale = logit_scale_of(ckpt.tensors, file);
  return w;
}

void pack(Weights& w, kernels::Precision precision) {
  const Config& c = w.config;
  const size_t width = c.text.width, embed = c.embed_dim, hidden = c.projection_hidden;
  // The projection stays fp32, like every tower's output projection.
  if (c.projection == Projection::mlp) {
    w.projection_in = kernels::Linear(w.proj_0.data(), width, hidden, nullptr, kernels::Precision::fp32);
    w.projection_out = kernels::Linear(w.proj_2.data(), hidden, embed, nullptr, kernels::Precision::fp32);
  } else if (c.projection == Projection::linear) {
    w.projection_in = kernels::Linear(w.proj_0.data(), width, embed, nullptr, kernels::Precision::fp32);
  }
  Buffer().swap(w.proj_0);
  Buffer().swap(w.proj_2);
  w.weight_bytes = pack_vision(w.vision, c.vision, precision) + bert::pack(w.text, precision) +
                   w.projection_in.weight_bytes() + w.projection_out.weight_bytes();
}

std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count) {
  return model::encode_images(w.config.vision, w.vision, pixels, count);
}

std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count) {
  const Config& c = w.config;
  std::vector<float> pooled = bert::encode(w.text, tokens, count, c.context_length);
  if (c.projection == Projection::none) return pooled;
  std::vector<float> out(count * static_cast<size_t>(c.embed_dim));
  if (c.projection == Projection::linear) {
    w.projection_in.forward(pooled.data(), count, out.data());
    return out;
  }
  std::vector<float> hidden(count * static_cast<size_t>(c.projection_hidden));
  w.projection_in.forward(pooled.data(), count, hidden.data(), kernels::Epilogue::activated(kernels::Activation::gelu));
  w.projection_out.forward(hidden.data(), count, out.data());
  return out;
}

}  // namespace clipkit::model::xlmr_clip
