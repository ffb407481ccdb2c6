// SigLIP as a clipkit::Model: the network, and what the folder says about its
// tokenizer, preprocessing and scores.
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "image/preprocess_config.hpp"
#include "io/config_file.hpp"
#include "model/siglip/siglip.hpp"

namespace clipkit::model::siglip {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool is_file(const fs::path& p) { return core::not_a_regular_file(p).empty(); }

std::string string_or(const json& object, const char* key, const std::string& fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// Which SentencePiece conventions the folder's tokenizer follows, and its clean-up.
// The hub lays tokenizers out as spiece.model (T5: SigLIP, i18n) or tokenizer.model
// (Gemma: SigLIP 2), with tokenizer_config.json naming the class.
TokenizerSpec tokenizer_spec(const io::Checkpoint& ckpt, const json& config, ModelInfo& info) {
  TokenizerSpec spec;
  spec.kind = "sentencepiece";
  if (!ckpt.sentencepiece_path) {
    info.choices.push_back({"tokenizer", "none found (spiece.model / tokenizer.model beside the weights)"});
    return spec;
  }
  spec.file = *ckpt.sentencepiece_path;
  const fs::path dir = spec.file.parent_path();
  std::string tokenizer_class, why;
  if (is_file(dir / "tokenizer_config.json")) {
    const json tc = io::read_json_config(dir / "tokenizer_config.json");
    if (tc.is_object()) tokenizer_class = string_or(tc, "tokenizer_class", "");
  }
  if (!tokenizer_class.empty()) {
    spec.conventions = tokenizer_class.find("Gemma") != std::string::npos ? "siglip2" : "siglip";
    why = "tokenizer_config.json: " + tokenizer_class;
  } else {
    spec.conventions = spec.file.filename() == "tokenizer.model" ? "siglip2" : "siglip";
    why = "file name " + spec.file.filename().string();
  }
  const bool open_clip = config.contains("model_cfg");
  if (open_clip) {
    const json& text = config["model_cfg"].value("text_cfg", json::object());
    const json kwargs = text.is_object() ? text.value("tokenizer_kwargs", json::object()) : json::object();
    spec.clean = kwargs.is_object() ? string_or(kwargs, "clean", "whitespace") : "whitespace";
  } else {
    // transformers' SiglipTokenizer canonicalizes itself; its Gemma tokenizer (SigLIP 2)
    // does not, but the model was trained on open_clip / big_vision's canonical text.
    spec.clean = spec.conventions == "siglip" ? "canonicalize_hf" : "canonicalize";
  }
  info.choices.push_back({"tokenizer", "SentencePiece " + spec.file.filename().string() + ", " + spec.conventions +
                                           " conventions (" + why + "), clean-up " + spec.clean});
  return spec;
}

// The transform the folder declares: open_clip's preprocess_cfg (through its
// merge with PreprocessCfg's defaults; SigLIP's pretrained defaults — mean/std 0.5,
// bicubic, squash — when the file has none), or the HF preprocessor_config.json
// (SiglipImageProcessor's defaults when absent). Its size must be the model's.
PreprocessOptions preprocess_options(const json& config, const std::optional<fs::path>& config_file,
                                     const fs::path& folder, int image_size, ModelInfo& info) {
  PreprocessOptions pre;
  std::string from;
  if (config.contains("model_cfg")) {
    if (config.contains("preprocess_cfg")) {
      pre = image::preprocess_from_open_clip(config, config_file->string());
      from = "preprocess_cfg in " + config_file->filename().string();
    } else {
      pre.size = image_size;
      pre.mean = pre.std = {0.5f, 0.5f, 0.5f};
      pre.resize_mode = ResizeMode::squash;
      from = "open_clip's SigLIP defaults (the config has no preprocess_cfg)";
    }
  } else if (is_file(folder / "preprocessor_config.json")) {
    pre = image::preprocess_from_hf(io::read_json_config(folder / "preprocessor_config.json"),
                                    (folder / "preprocessor_config.json").string());
    from = "preprocessor_config.json";
  } else {
    pre = image::preprocess_from_hf(json{{"image_processor_type", "SiglipImageProcessor"}}, "SiglipImageProcessor");
    pre.size = image_size;
    from = "SiglipImageProcessor's defaults (no preprocessor_config.json)";
  }
  if (pre.size != image_size)
    throw Error(ErrorCode::corrupt_data, (folder / "").string() + ": the preprocessing (" + from + ") makes " +
                                             std::to_string(pre.size) + " px images but the model takes " +
                                             std::to_string(image_size) + " px");
  char mean[64];
  std::snprintf(mean, sizeof mean, "mean %.4g/%.4g/%.4g", pre.mean[0], pre.mean[1], pre.mean[2]);
  info.choices.push_back({"preprocess", std::to_string(pre.size) + " px, " + to_string(pre.resize_mode) + ", " +
                                            to_string(pre.interpolation) + ", " + to_string(pre.order) + " order, " +
                                            mean + " (" + from + ")"});
  return pre;
}

}  // namespace

Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info) {
  json config = json::object();
  if (ckpt.config_file) config = io::read_json_config(*ckpt.config_file);
  if (!config.is_object()) config = json::object();
  info.tokenizer = tokenizer_spec(ckpt, config, info);
  const std::optional<fs::path> config_file = ckpt.config_file;
  const fs::path folder = config_file ? config_file->parent_path() : ckpt.path.parent_path();

  Weights w = load_weights(std::move(ckpt));
  Config& c = w.config;
  if (options.activation)
    c.vision_activation = c.head_activation = c.text_activation = *options.activation;
  pack(w, static_cast<kernels::Precision>(options.precision));

  info.family = "siglip";
  info.scoring = Scoring::sigmoid;
  info.parameters = w.parameters;
  info.weight_bytes = w.weight_bytes;
  info.architecture = "SigLIP ViT-" + std::to_string(c.vision_width) + "/" + std::to_string(c.patch_size) + "@" +
                      std::to_string(c.image_size);
  info.choices.insert(info.choices.end(), c.choices.begin(), c.choices.end());
  info.preprocess = preprocess_options(config, config_file, folder, c.image_size, info);

  Loaded loaded;
  loaded.config.embed_dim = c.embed_dim;
  loaded.config.image_resolution = c.image_size;
  loaded.config.vision_layers = c.vision_layers;
  loaded.config.vision_width = c.vision_width;
  loaded.config.vision_heads = c.vision_heads;
  loaded.config.vision_patch_size = c.patch_size;
  loaded.config.context_length = c.context_length;
  loaded.config.vocab_size = c.vocab_size;
  loaded.config.text_width = c.text_width;
  loaded.config.text_heads = c.text_heads;
  loaded.config.text_layers = c.text_layers;
  loaded.config.activation = c.text_activation;
  loaded.logit_scale = w.logit_scale;
  loaded.logit_bias = w.logit_bias;
  loaded.network = std::make_unique<NetworkOf<Weights>>(std::move(w), encode_images, encode_tokens);
  return loaded;
}

}  // namespace clipkit::model::siglip
