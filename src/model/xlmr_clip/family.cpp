// open_clip's XLM-RoBERTa CLIPs as a clipkit::Model: the network, XLM-R's tokenizer, the
// folder's preprocessing, softmax scores.
#include <cstdio>

#include "clipkit/error.hpp"
#include "image/preprocess_config.hpp"
#include "io/config_file.hpp"
#include "model/xlmr_clip/xlmr_clip.hpp"

namespace clipkit::model::xlmr_clip {

namespace {

std::string architecture_name(const Config& c) {
  const ModelConfig& v = c.vision;
  std::string vision = "ViT";
  struct Known { int width, layers, patch, res; const char* name; };
  static const Known kVision[] = {{768, 12, 32, 224, "ViT-B-32"}, {1280, 32, 14, 224, "ViT-H-14"}};
  for (const Known& k : kVision)
    if (v.vision_width == k.width && v.vision_layers == k.layers && v.vision_patch_size == k.patch &&
        v.image_resolution == k.res)
      vision = k.name;
  std::string text = "XLM-R";
  if (c.text.width == 768 && c.text.layers == 12) text = "xlm-roberta-base";
  if (c.text.width == 1024 && c.text.layers == 24) text = "xlm-roberta-large";
  return text + "-" + vision;
}

}  // namespace

Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info) {
  info.tokenizer.kind = "sentencepiece";
  info.tokenizer.conventions = "xlm_roberta";
  info.tokenizer.clean = "whitespace";
  if (ckpt.sentencepiece_path) {
    info.tokenizer.file = *ckpt.sentencepiece_path;
    info.choices.push_back({"tokenizer", "SentencePiece " + ckpt.sentencepiece_path->filename().string() +
                                             ", XLM-R's fairseq ids (<s> 0, <pad> 1, </s> 2, <unk> 3, pieces + 1), "
                                             "open_clip's whitespace clean-up"});
  } else {
    info.choices.push_back({"tokenizer", "XLM-R's SentencePiece, but no sentencepiece.bpe.model beside the weights "
                                         "(it comes with xlm-roberta-base / -large on Hugging Face)"});
  }
  PreprocessOptions pre;
  std::string pre_from = "open_clip's defaults";
  if (ckpt.config_file) {
    pre = image::preprocess_from_open_clip(io::read_json_config(*ckpt.config_file), ckpt.config_file->string());
    pre_from = "preprocess_cfg in " + ckpt.config_file->filename().string();
  }
  Weights w = load_weights(std::move(ckpt));
  Config& c = w.config;
  if (options.activation) c.vision.activation = c.text.activation = *options.activation;
  pack(w, static_cast<kernels::Precision>(options.precision));

  info.family = "xlmr_clip";
  info.scoring = Scoring::softmax;
  info.parameters = w.parameters;
  info.weight_bytes = w.weight_bytes;
  info.architecture = architecture_name(c);
  pre.size = c.vision.image_resolution;
  info.preprocess = pre;
  char mean[64];
  std::snprintf(mean, sizeof mean, "mean %.4g/%.4g/%.4g", pre.mean[0], pre.mean[1], pre.mean[2]);
  info.choices.push_back({"preprocess", std::to_string(pre.size) + " px, " + to_string(pre.resize_mode) + ", " +
                                            to_string(pre.interpolation) + ", " + mean + " (" + pre_from + ")"});
  info.choices.insert(info.choices.end(), c.choices.begin(), c.choices.end());

  ModelConfig reported = c.vision;
  reported.activation = c.text.activation;
  const float logit_scale = w.logit_scale;
  return make_loaded(std::move(w), reported, logit_scale, encode_images, encode_tokens);
}

}  // namespace clipkit::model::xlmr_clip
