// Chinese-CLIP's tensors: names, shapes, dimensions.
#include <cmath>

#include "clipkit/error.hpp"
#include "model/chinese_clip/chinese_clip.hpp"

namespace clipkit::model::chinese_clip {

namespace {

const std::string kBert = "bert.";

Config infer_config(const io::Checkpoint& ckpt) {
  const std::string file = ckpt.path.string();
  for (const auto& [name, tensor] : ckpt.tensors) {
    if (name.find(".Wqkv.") != std::string::npos)
      throw Error(ErrorCode::unsupported,
                  file + ": tensor '" + name + "' is cn_clip's flash-attention layout; convert the state dict "
                         "with cn_clip.clip.model.convert_state_dict first");
  }
  Config c;
  infer_vision_config(ckpt, c.vision);  // ResNet → unsupported; heads = width / 64
  c.vision.activation = Activation::quick_gelu;  // cn_clip's ResidualAttentionBlock
  c.choices.push_back({"vision activation", "quick_gelu (cn_clip's VisualTransformer)"});
  if (c.vision.vision_width == 1280) {
    // cn_clip's ViT-H-14.json: vision_head_width 80.
    c.vision.vision_heads = 16;
    c.choices.push_back({"vision heads", "16 (width 1280: cn_clip's ViT-H-14, head width 80)"});
  } else {
    c.choices.push_back({"vision heads", std::to_string(c.vision.vision_heads) + " (width / 64, as cn_clip)"});
  }
  c.text = bert::infer_config(ckpt.tensors, kBert, file);  // BERT's defaults: eps 1e-12, pad 0, CLS
  const auto& projection = require(ckpt.tensors, "text_projection", 2, file);
  const auto& visual_projection = require(ckpt.tensors, "visual.proj", 2, file);
  c.embed_dim = static_cast<int>(projection.shape[1]);
  c.choices.push_back({"text heads", std::to_string(c.text.heads) + " (width / 64, as cn_clip's configs)"});
  c.choices.push_back({"text activation", "gelu (exact, cn_clip's BERT hidden_act)"});
  c.choices.push_back({"text LayerNorm eps", "1e-12 (post-norm BERT)"});
  c.choices.push_back({"text pooling", "[CLS] (position 0), pad id 0 masked"});
  if (visual_projection.shape[1] != c.embed_dim)
    throw Error(ErrorCode::corrupt_data, file + ": visual.proj " + shape_string(visual_projection.shape) +
                                             " and text_projection " + shape_string(projection.shape) +
                                             " disagree on the embedding size");
  if (c.text.max_positions < kContextLength)
    throw Error(ErrorCode::corrupt_data, file + ": bert.embeddings.position_embeddings.weight has " +
                                             std::to_string(c.text.max_positions) + " positions, fewer than "
                                             "cn_clip's " + std::to_string(kContextLength) + " tokens per text");
  c.vision.embed_dim = c.embed_dim;
  c.vision.context_length = c.context_length;
  c.vision.vocab_size = c.text.vocab_size;
  c.vision.text_width = c.text.width;
  c.vision.text_heads = c.text.heads;
  c.vision.text_layers = c.text.layers;
  return c;
}

}  // namespace

Weights load_weights(io::Checkpoint&& ckpt) {
  const std::string file = ckpt.path.string();
  Weights w;
  w.config = infer_config(ckpt);
  const Config& c = w.config;
  ShapeList expected;
  add_vision_tensors(expected, c.vision);  // visual.proj included
  expected.push_back({"logit_scale", {}});
  expected.push_back({"text_projection", {c.text.width, c.embed_dim}});
  bert::add_tensors(expected, c.text, kBert);
  w.parameters = check_tensor_set(
      ckpt.tensors, expected, [](const std::string& name) { return bert::ignorable(name, kBert); }, file,
      "a Chinese-CLIP with " + std::to_string(c.vision.vision_layers) + " vision and " +
          std::to_string(c.text.layers) + " BERT layers");
  w.vision = take_vision(ckpt, c.vision);
  w.text = bert::take(ckpt.tensors, c.text, kBert);
  w.text_projection = take(ckpt.tensors, "text_projection");
  const float stored = ckpt.tensors.at("logit_scale").data.at(0);
  if (!std::isfinite(stored)) throw Error(ErrorCode::corrupt_data, file + ": logit_scale is not finite");
  w.logit_scale = std::exp(stored);
  return w;
}

void pack(Weights& w, kernels::Precision precision) {
  const Config& c = w.config;
  w.projection = kernels::Linear(w.text_projection.data(), c.text.width, c.embed_dim, nullptr,
                                 kernels::Precision::fp32, /*w_in_by_out=*/true);
  Buffer().swap(w.text_projection);
  w.weight_bytes = pack_vision(w.vision, c.vision, precision) + bert::pack(w.text, precision) +
                   w.projection.weight_bytes();
}

}  // namespace clipkit::model::chinese_clip
