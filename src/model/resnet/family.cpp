// A ResNet CLIP as a clipkit::Model: the ResNet image tower beside OpenAI's text tower,
// OpenAI's tokenizer, preprocessing and softmax scores.
#include <set>
#include <string>

#include "model/resnet/resnet.hpp"
#include "model/towers.hpp"
#include "model/weights.hpp"

namespace clipkit::model::resnet {

namespace {

struct Weights {
  ModelConfig config;
  Tower vision;
  TextWeights text;
};

std::vector<float> encode_tower_images(const Weights& w, const float* pixels, size_t count) {
  return encode_images(w.config, w.vision, pixels, count);
}

std::vector<float> encode_text(const Weights& w, const int32_t* tokens, size_t count) {
  return model::encode_tokens(w.config, w.text, tokens, count);
}

// OpenAI's released ResNets by their shapes (build_model's names).
std::string architecture_name(const ModelConfig& c) {
  struct Known { std::vector<int> stages; int width, res; const char* name; };
  static const Known kKnown[] = {{{3, 4, 6, 3}, 64, 224, "RN50"},
                                 {{3, 4, 23, 3}, 64, 224, "RN101"},
                                 {{4, 6, 10, 6}, 80, 288, "RN50x4"},
                                 {{6, 8, 18, 8}, 96, 384, "RN50x16"},
                                 {{3, 15, 36, 10}, 128, 448, "RN50x64"}};
  for (const Known& k : kKnown)
    if (c.vision_stages == k.stages && c.vision_width == k.width && c.image_resolution == k.res) return k.name;
  return "ResNet";
}

// Entries the containers carry that are not parameters: BatchNorm's step counter and
// the buffers OpenAI's build_model deletes.
bool ignorable(const std::string& name) {
  static const std::set<std::string> kNames = {"input_resolution", "context_length", "vocab_size"};
  return kNames.count(name) || name.ends_with(".num_batches_tracked") || name.ends_with("attn_mask");
}

std::string stages_string(const std::vector<int>& stages) {
  std::string s;
  for (int blocks : stages) s += (s.empty() ? "" : ", ") + std::to_string(blocks);
  return s;
}

}  // namespace

Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info) {
  const std::string file = ckpt.path.string();
  Weights w;
  ModelConfig& c = w.config;
  infer_resnet_config(ckpt, c);
  infer_text_config(ckpt, c);
  if (options.activation) c.activation = *options.activation;

  ShapeList expected;
  add_resnet_tensors(expected, c);
  add_text_tensors(expected, c);
  expected.push_back({"logit_scale", {}});
  info.parameters = check_tensor_set(ckpt.tensors, expected, ignorable, file,
                                     "a CLIP ResNet with stages (" + stages_string(c.vision_stages) + ") and " +
                                         std::to_string(c.text_layers) + " text layers");
  // BatchNorm's running statistics are buffers, not parameters (as torch counts them).
  for (const auto& [name, shape] : expected)
    if (name.ends_with(".running_mean") || name.ends_with(".running_var")) info.parameters -= shape[0];
  const float logit_scale = logit_scale_of(ckpt.tensors, file);
  const auto precision = static_cast<kernels::Precision>(options.precision);
  const Params params = take_params(ckpt, c);
  w.text = take_text(ckpt, c);
  size_t vision_bytes = 0;
  w.vision = fold(params, c, precision, vision_bytes);
  info.weight_bytes = vision_bytes + pack_text(w.text, c, precision);

  info.architecture = architecture_name(c);
  info.preprocess.size = c.image_resolution;
  info.choices.push_back({"image tower", "ResNet, stages (" + stages_string(c.vision_stages) + ") from the " +
                                             "visual.layerN.M keys, width " + std::to_string(c.vision_width) +
                                             " from visual.layer1.0.conv1, " + std::to_string(c.image_resolution) +
                                             " px from the attention pool's grid"});
  info.choices.push_back({"attention pool heads", std::to_string(c.vision_heads) + " (width·32 / 64, as build_model)"});
  info.choices.push_back({"BatchNorm", std::string("folded into the convolutions at load (fp32); convolutions run ") +
                                           (precision == kernels::Precision::fp32 ? "fp32" : "bf16")});
  return make_loaded(std::move(w), c, logit_scale, encode_tower_images, encode_text);
}

}  // namespace clipkit::model::resnet
