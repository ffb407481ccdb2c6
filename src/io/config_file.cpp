#include "io/config_file.hpp"

#include <fstream>
#include <sstream>

#include "clipkit/error.hpp"

namespace clipkit::io {
namespace {

using nlohmann::json;

[[noreturn]] void corrupt(const std::string& file, const std::string& what) {
  throw Error(ErrorCode::corrupt_data, file + ": " + what);
}

const json& section(const json& parent, const char* key, const std::string& file) {
  static const json kEmpty = json::object();
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return kEmpty;
  if (!it->is_object()) corrupt(file, std::string("\"") + key + "\" is not an object");
  return *it;
}

// The integer at `key`, or `fallback` when absent; a non-integer is an error.
int64_t int_or(const json& object, const char* key, int64_t fallback, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) {
    return (*it)[0].get<int64_t>();  // image_size given as [h, w]
  }
  corrupt(file, std::string("\"") + key + "\" is " + it->dump() + ", expected an integer");
}

std::string string_or(const json& object, const char* key, const std::string& fallback,
                      const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) corrupt(file, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

json read_json_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::not_found, path.string() + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::exception& e) {
    corrupt(path.string(), std::string("not valid JSON: ") + e.what());
  }
}

}  // namespace

ContainerConfig parse_hf_config(const json& config, const std::string& file) {
  if (!config.is_object()) corrupt(file, "not a JSON object");
  const json& text = section(config, "text_config", file);
  const json& vision = section(config, "vision_config", file);
  ContainerConfig out;
  // Defaults from transformers' CLIPTextConfig / CLIPVisionConfig / CLIPConfig.
  out.ints["embed_dim"] = int_or(config, "projection_dim", 512, file);
  out.ints["image_resolution"] = int_or(vision, "image_size", 224, file);
  out.ints["patch_size"] = int_or(vision, "patch_size", 32, file);
  out.ints["vision_width"] = int_or(vision, "hidden_size", 768, file);
  out.ints["vision_layers"] = int_or(vision, "num_hidden_layers", 12, file);
  out.ints["vision_heads"] = int_or(vision, "num_attention_heads", 12, file);
  out.ints["text_width"] = int_or(text, "hidden_size", 512, file);
  out.ints["text_layers"] = int_or(text, "num_hidden_layers", 12, file);
  out.ints["text_heads"] = int_or(text, "num_attention_heads", 8, file);
  out.ints["context_length"] = int_or(text, "max_position_embeddings", 77, file);
  out.ints["vocab_size"] = int_or(text, "vocab_size", 49408, file);
  const std::string text_act = string_or(text, "hidden_act", "quick_gelu", file);
  const std::string vision_act = string_or(vision, "hidden_act", "quick_gelu", file);
  if (text_act != vision_act) {
    throw Error(ErrorCode::unsupported, file + ": text hidden_act \"" + text_act +
                                            "\" differs from vision hidden_act \"" + vision_act +
                                            "\"; one activation per model is supported");
  }
  out.activation = text_act;
  return out;
}

ContainerConfig parse_open_clip_config(const json& config, const std::string& file) {
  if (!config.is_object()) corrupt(file, "not a JSON object");
  // open_clip_config.json wraps the model config; open_clip's model_configs/*.json do not.
  const json& model = config.contains("model_cfg") ? section(config, "model_cfg", file) : config;
  const json& vision = section(model, "vision_cfg", file);
  const json& text = section(model, "text_cfg", file);
  ContainerConfig out;
  // Defaults from open_clip's CLIPVisionCfg / CLIPTextCfg.
  out.ints["embed_dim"] = int_or(model, "embed_dim", 512, file);
  out.ints["image_resolution"] = int_or(vision, "image_size", 224, file);
  out.ints["patch_size"] = int_or(vision, "patch_size", 16, file);
  const int64_t vision_width = int_or(vision, "width", 768, file);
  out.ints["vision_width"] = vision_width;
  const auto layers = vision.find("layers");
  if (layers == vision.end() || layers->is_number_integer()) {  // a list means a ResNet
    out.ints["vision_layers"] = int_or(vision, "layers", 12, file);
    const int64_t head_width = int_or(vision, "head_width", 64, file);
    if (head_width <= 0) corrupt(file, "vision_cfg.head_width must be positive");
    out.ints["vision_heads"] = int_or(vision, "heads", vision_width / head_width, file);
  }
  out.ints["text_width"] = int_or(text, "width", 512, file);
  out.ints["text_layers"] = int_or(text, "layers", 12, file);
  out.ints["text_heads"] = int_or(text, "heads", 8, file);
  out.ints["context_length"] = int_or(text, "context_length", 77, file);
  out.ints["vocab_size"] = int_or(text, "vocab_size", 49408, file);
  const auto quick = model.find("quick_gelu");
  if (quick != model.end() && !quick->is_null() && !quick->is_boolean()) {
    corrupt(file, "\"quick_gelu\" is not a boolean");
  }
  // open_clip builds nn.GELU unless quick_gelu is set.
  out.activation = (quick != model.end() && quick->is_boolean() && quick->get<bool>())
                       ? "quick_gelu"
                       : "gelu";
  return out;
}

ContainerConfig read_hf_config(const std::filesystem::path& path) {
  return parse_hf_config(read_json_file(path), path.string());
}

ContainerConfig read_open_clip_config(const std::filesystem::path& path) {
  return parse_open_clip_config(read_json_file(path), path.string());
}

}  // namespace clipkit::io
