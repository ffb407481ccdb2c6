#include "io/config_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "core/json_excerpt.hpp"

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
  corrupt(file, std::string("\"") + key + "\" is " + core::json_excerpt(*it) + ", expected an integer");
}

// A dimension (width, layers, heads, sizes): `fallback` when absent, else an integer in
// [1, 2^24] — a zero or negative count would divide by zero or size a buffer wrongly
// further down, so it is refused here, naming the key as `where` + `key`.
int64_t dim_or(const json& object, const std::string& where, const char* key, int64_t fallback,
               const std::string& file) {
  const int64_t value = int_or(object, key, fallback, file);
  constexpr int64_t kMaxDim = int64_t{1} << 24;
  if (value < 1 || value > kMaxDim) {
    corrupt(file, "\"" + where + key + "\" is " + std::to_string(value) + ", expected an integer from 1 to " +
                      std::to_string(kMaxDim));
  }
  return value;
}

// Sets out.ints[name] from dim_or and records where the value came from, for messages
// further down ("vision_config.num_attention_heads in config.json", or the default).
void set_dim(ContainerConfig& out, const char* name, const json& object, const std::string& where,
             const char* key, int64_t fallback, const std::string& file) {
  out.ints[name] = dim_or(object, where, key, fallback, file);
  const auto it = object.find(key);
  out.origins[name] = (it == object.end() || it->is_null())
                          ? file + " has no " + where + key + ", so the default " + std::to_string(fallback)
                          : where + key + " in " + file;
}

std::string string_or(const json& object, const char* key, const std::string& fallback,
                      const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) corrupt(file, std::string("\"") + key + "\" is not a string");
  return it->get<std::string>();
}

json read_json_file(const std::filesystem::path& path) {
  constexpr size_t kMaxConfigBytes = size_t{16} << 20;
  const std::string text = core::read_text_file(path, kMaxConfigBytes, "a JSON config file");
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    corrupt(path.string(), "not valid JSON (syntax error at byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    corrupt(path.string(), "not valid JSON");
  }
}

}  // namespace

json read_json_config(const std::filesystem::path& path) { return read_json_file(path); }

const json& json_section(const json& parent, const char* key, const std::string& file) {
  return section(parent, key, file);
}

int64_t json_dim_or(const json& object, const std::string& where, const char* key, int64_t fallback,
                    const std::string& file) {
  return dim_or(object, where, key, fallback, file);
}

ContainerConfig parse_hf_config(const json& config, const std::string& file) {
  if (!config.is_object()) corrupt(file, "not a JSON object");
  const json& text = section(config, "text_config", file);
  const json& vision = section(config, "vision_config", file);
  ContainerConfig out;
  // Defaults from transformers' CLIPTextConfig / CLIPVisionConfig / CLIPConfig.
  set_dim(out, "embed_dim", config, "", "projection_dim", 512, file);
  set_dim(out, "image_resolution", vision, "vision_config.", "image_size", 224, file);
  set_dim(out, "patch_size", vision, "vision_config.", "patch_size", 32, file);
  set_dim(out, "vision_width", vision, "vision_config.", "hidden_size", 768, file);
  set_dim(out, "vision_layers", vision, "vision_config.", "num_hidden_layers", 12, file);
  set_dim(out, "vision_heads", vision, "vision_config.", "num_attention_heads", 12, file);
  set_dim(out, "text_width", text, "text_config.", "hidden_size", 512, file);
  set_dim(out, "text_layers", text, "text_config.", "num_hidden_layers", 12, file);
  set_dim(out, "text_heads", text, "text_config.", "num_attention_heads", 8, file);
  set_dim(out, "context_length", text, "text_config.", "max_position_embeddings", 77, file);
  set_dim(out, "vocab_size", text, "text_config.", "vocab_size", 49408, file);
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
  set_dim(out, "embed_dim", model, "", "embed_dim", 512, file);
  set_dim(out, "image_resolution", vision, "vision_cfg.", "image_size", 224, file);
  set_dim(out, "patch_size", vision, "vision_cfg.", "patch_size", 16, file);
  const int64_t vision_width = dim_or(vision, "vision_cfg.", "width", 768, file);
  out.ints["vision_width"] = vision_width;
  const auto layers = vision.find("layers");
  if (layers == vision.end() || layers->is_number_integer()) {  // a list means a ResNet
    set_dim(out, "vision_layers", vision, "vision_cfg.", "layers", 12, file);
    const int64_t head_width = dim_or(vision, "vision_cfg.", "head_width", 64, file);
    set_dim(out, "vision_heads", vision, "vision_cfg.", "heads", std::max<int64_t>(1, vision_width / head_width), file);
  }
  set_dim(out, "text_width", text, "text_cfg.", "width", 512, file);
  set_dim(out, "text_layers", text, "text_cfg.", "layers", 12, file);
  set_dim(out, "text_heads", text, "text_cfg.", "heads", 8, file);
  set_dim(out, "context_length", text, "text_cfg.", "context_length", 77, file);
  set_dim(out, "vocab_size", text, "text_cfg.", "vocab_size", 49408, file);
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
