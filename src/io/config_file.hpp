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
ContainerConfig read_open_clip_config(const std::filesystem::path& path);

}  // namespace clipkit::io
