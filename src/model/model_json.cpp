// model_info_json: one description of a model for the CLI's `info --json` and the C API.
#include <string>

#include <nlohmann/json.hpp>

#include "clipkit/model.hpp"
#include "clipkit/utf8.hpp"

namespace clipkit {

namespace {

// JSON text must be UTF-8 but paths are bytes: the path as shown, and its exact bytes
// beside it when they are not UTF-8 (the convention of every clipkit JSON output).
void put_path(nlohmann::json& object, const std::string& key, const std::string& path) {
  if (!invalid_utf8_offset(path)) {
    object[key] = path;
    return;
  }
  object[key] = utf8_for_display(path);
  object[key + "_b64"] = base64(path);
}

}  // namespace

std::string model_info_json(const Model& model) {
  const ModelInfo& info = model.info();
  const ModelConfig& c = info.config;
  nlohmann::json j = {{"format", info.format},
          {"architecture", info.architecture},
          {"dtype", info.dtype},
          {"activation", to_string(c.activation)},
          {"parameters", info.parameters},
          {"precision", to_string(info.precision)},
          {"weight_bytes", info.weight_bytes},
          {"embed_dim", c.embed_dim},
          {"image_resolution", c.image_resolution},
          {"vision", {{"width", c.vision_width}, {"layers", c.vision_layers}, {"heads", c.vision_heads},
                      {"patch_size", c.vision_patch_size}, {"resnet_stages", c.vision_stages}}},
          {"text", {{"width", c.text_width}, {"layers", c.text_layers}, {"heads", c.text_heads},
                    {"context_length", c.context_length}, {"vocab_size", c.vocab_size}}},
          {"logit_scale", model.logit_scale()},
          {"family", info.family},
          {"scoring", to_string(info.scoring)},
          {"logit_bias", model.logit_bias()},
          {"preprocess", {{"size", info.preprocess.size}, {"mean", info.preprocess.mean},
                          {"std", info.preprocess.std},
                          {"resize_mode", to_string(info.preprocess.resize_mode)},
                          {"interpolation", to_string(info.preprocess.interpolation)},
                          {"order", to_string(info.preprocess.order)}}}};
  nlohmann::json choices = nlohmann::json::object();
  for (const auto& [what, value] : info.choices) choices[what] = value;
  j["choices"] = choices;
  if (info.tokenizer.kind == "sentencepiece")
    j["tokenizer"] = {{"kind", info.tokenizer.kind}, {"conventions", info.tokenizer.conventions},
                      {"clean", info.tokenizer.clean}};
  else
    j["tokenizer"] = {{"kind", info.tokenizer.kind}};
  put_path(j, "path", info.path.string());
  if (!info.text_model_path.empty()) {
    nlohmann::json text = {{"family", info.text_family}, {"format", info.text_format},
                           {"architecture", info.text_architecture}};
    put_path(text, "path", info.text_model_path.string());
    j["text_model"] = text;
  }
  // Names read from config files may hold bytes that are not UTF-8: shown as U+FFFD
  // rather than failing the call.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace clipkit
