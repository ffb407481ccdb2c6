// Chinese-CLIP as a clipkit::Model: the network, and the tokenizer, preprocessing and
// scores that go with cn_clip's checkpoints and transformers' ChineseCLIPModel folders.
#include <cstdio>
#include <filesystem>
#include <optional>

#include "clipkit/error.hpp"
#include "image/preprocess_config.hpp"
#include "io/config_file.hpp"
#include "model/chinese_clip/chinese_clip.hpp"

namespace clipkit::model::chinese_clip {

namespace {

// cn_clip's named configurations (model_configs/*.json), for `clipkit info`.
std::string architecture_name(const Config& c) {
  const ModelConfig& v = c.vision;
  std::string vision = "ViT";
  struct Known { int width, layers, patch, res; const char* name; };
  static const Known kVision[] = {{768, 12, 32, 224, "ViT-B-32"}, {768, 12, 16, 224, "ViT-B-16"},
                                  {1024, 24, 14, 224, "ViT-L-14"}, {1024, 24, 14, 336, "ViT-L-14-336"},
                                  {1280, 32, 14, 224, "ViT-H-14"}};
  for (const Known& k : kVision)
    if (v.vision_width == k.width && v.vision_layers == k.layers && v.vision_patch_size == k.patch &&
        v.image_resolution == k.res)
      vision = k.name;
  std::string text = "BERT";
  if (c.text.width == 768 && c.text.layers == 12) text = "RoBERTa-wwm-ext-base-chinese";
  if (c.text.width == 1024 && c.text.layers == 24) text = "RoBERTa-wwm-ext-large-chinese";
  if (c.text.width == 768 && c.text.layers == 3) text = "RBT3-chinese";
  return vision + "@" + text;
}

// cn_clip's image_transform: Resize((R, R), BICUBIC) — the whole image squashed to the
// square, no crop — then convert("RGB"), ToTensor, Normalize with CLIP's mean/std. A
// ChineseCLIPModel folder's preprocessor_config.json (ChineseCLIPImageProcessor: the same
// squash, but after convert_to_rgb, in transformers' float order) replaces it.
PreprocessOptions preprocess_options(const std::optional<std::filesystem::path>& preprocessor_config, int resolution,
                                     ModelInfo& info) {
  const std::string square = std::to_string(resolution) + "x" + std::to_string(resolution);
  PreprocessOptions pre;
  if (!preprocessor_config) {
    pre.size = resolution;
    pre.resize_mode = ResizeMode::squash;
    pre.interpolation = Interpolation::bicubic;
    pre.order = PreprocessOrder::torchvision;
    info.choices.push_back({"preprocess", "squash to " + square + ", bicubic, no crop, CLIP mean/std (cn_clip's "
                                                                   "image_transform)"});
    return pre;
  }
  pre = image::preprocess_from_hf(io::read_json_config(*preprocessor_config), preprocessor_config->string());
  if (pre.size != resolution)
    throw Error(ErrorCode::corrupt_data, preprocessor_config->string() + ": the image processor makes " +
                                             std::to_string(pre.size) + " px images but the model takes " +
                                             std::to_string(resolution) + " px");
  char mean[64];
  std::snprintf(mean, sizeof mean, "mean %.4g/%.4g/%.4g", pre.mean[0], pre.mean[1], pre.mean[2]);
  info.choices.push_back({"preprocess", std::to_string(pre.size) + " px, " + to_string(pre.resize_mode) + ", " +
                                            to_string(pre.interpolation) + ", " + to_string(pre.order) + " order, " +
                                            mean + " (preprocessor_config.json)"});
  return pre;
}

}  // namespace

Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info) {
  // transformers' ChineseCLIPModel folders carry their image processor's settings.
  std::optional<std::filesystem::path> preprocessor_config;
  if (ckpt.config_file && std::filesystem::is_regular_file(ckpt.config_file->parent_path() / "preprocessor_config.json"))
    preprocessor_config = ckpt.config_file->parent_path() / "preprocessor_config.json";
  info.tokenizer.kind = "wordpiece";
  if (ckpt.vocab_path) {
    info.tokenizer.file = *ckpt.vocab_path;
    info.choices.push_back({"tokenizer", "WordPiece " + ckpt.vocab_path->string() +
                                             " (cn_clip's BERT tokenizer: [CLS] … [SEP], pad 0, 52 tokens)"});
  } else {
    info.choices.push_back({"tokenizer", "WordPiece, but no vocab.txt beside the weights (cn_clip keeps it in "
                                         "cn_clip/clip/vocab.txt)"});
  }
  Weights w = load_weights(std::move(ckpt));
  Config& c = w.config;
  if (options.activation) c.vision.activation = c.text.activation = *options.activation;
  pack(w, static_cast<kernels::Precision>(options.precision));

  info.family = "chinese_clip";
  info.scoring = Scoring::softmax;
  info.parameters = w.parameters;
  info.weight_bytes = w.weight_bytes;
  info.architecture = architecture_name(c);
  info.preprocess = preprocess_options(preprocessor_config, c.vision.image_resolution, info);
  info.choices.insert(info.choices.end(), c.choices.begin(), c.choices.end());

  ModelConfig reported = c.vision;
  reported.activation = c.text.activation;
  const float logit_scale = w.logit_scale;
  return make_loaded(std::move(w), reported, logit_scale, encode_images, encode_tokens);
}

}  // namespace clipkit::model::chinese_clip
