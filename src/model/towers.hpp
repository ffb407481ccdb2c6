// model/towers.hpp — the vision and text towers of OpenAI's clip/model.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/parallel.hpp"
#include "model/weights.hpp"

namespace clipkit::model {

// pixels: count × 3 × R × R (CHW). Returns count × embed_dim (encode_image).
std::vector<float> encode_images(const ClipWeights& w, const float* pixels, size_t count);
// The same for a vision tower described by `config` (its vision fields, embed_dim and
// activation).
std::vector<float> encode_images(const ModelConfig& config, const VisionWeights& vision, const float* pixels,
                                 size_t count);

// tokens: count × context_length. Returns count × embed_dim (encode_text).
std::vector<float> encode_tokens(const ClipWeights& w, const int32_t* tokens, size_t count);
// The same for a text tower described by `config` (its text fields, vocab_size,
// embed_dim and activation).
std::vector<float> encode_tokens(const ModelConfig& config, const TextWeights& text, const int32_t* tokens,
                                 size_t count);

}  // namespace clipkit::model
