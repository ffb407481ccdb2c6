// Chinese-CLIP's forward passes: the ViT is OpenAI's (model/towers.cpp), the text tower
// model/bert's, pooled at [CLS] and projected.
#include "model/chinese_clip/chinese_clip.hpp"
#include "model/towers.hpp"

namespace clipkit::model::chinese_clip {

std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count) {
  return model::encode_images(w.config.vision, w.vision, pixels, count);
}

std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count) {
  const std::vector<float> cls = bert::encode(w.text, tokens, count, w.config.context_length);
  std::vector<float> out(count * static_cast<size_t>(w.config.embed_dim));
  w.projection.forward(cls.data(), count, out.data());
  return out;
}

}  // namespace clipkit::model::chinese_clip
