// io/config_file.hpp — hyper-parameters and activation from the config files that
// sit beside safetensors weights: Hugging Face `config.json` (CLIPConfig) and
// open_clip's `open_clip_config.json` (its `model_cfg`).
//
//   ContainerConfig c = read_hf_config(folder / "config.json");
//   c.activation;                      // "quick_gelu", "gelu", ...
//   c.ints.at("vision_heads");
//
// Keys of `ints`: embed_dim, image_resolution, patch_size, vision_width,
// vision_layers, vision_heads, text_width, text_layers, text_heads, context_length,
// vocab_size. Absent fields take the defaults the owning library uses
// (transformers' CLIPConfig, open_clip's CLIPVisionCfg/CLIPTextCfg).
// Every dimension is checked to be an integer from 1 to 2^24.
// Errors: clipkit::Error naming the file: not_found, corrupt_data (not JSON, a field
// of the wrong type, a dimension out of range).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace clipkit::io {

struct ContainerConfig {
  std::string activation;
  std::map<std::string, int64_t> ints;
  // For each key of `ints`: where its value came from, for error messages
  // ("vision_config.num_attention_heads in config.json", or the default taken).
  std::map<std::string, std::string> origins;
};

ContainerConfig parse_hf_config(const nlohmann::json& config, const std::string& display_name);
ContainerConfig parse_open_clip_config(const nlohmann::json& config,
                                       const std::string& display_name);

ContainerConfig read_hf_config(const std::filesystem::path& path);

// Helpers for the model families that read their own configs (model/siglip):
// the file as JSON (16 MiB cap; corrupt_data naming the byte of a syntax error),
// an object member (empty when absent; corrupt_data when not an object), and a
// dimension in [1, 2^24] (`fallback` when absent; the message names where + key).
nlohmann::json read_json_config(const std::filesystem::path& path);
const nlohmann::json& json_section(const nlohmann::json& parent, const char* key, const std::string& file);
int64_t json_dim_or(const nlohmann::json& object, const std::string& where, const char* key, int64_t fallback,
                    const std::string& file);
ContainerConfig read_open_clip_config(const std::filesystem::path& path);

}  // namespace clipkit::io
