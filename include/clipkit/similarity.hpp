// clipkit/similarity.hpp — cosine similarity and zero-shot label scores.
//
//   auto scores = clipkit::label_scores(image_embedding, text_embeddings, model);
//   // CLIP: softmax probabilities over the texts; SigLIP: a sigmoid per text
//
// Embeddings are row-major (n × dim). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace clipkit {

class Model;

// v / ‖v‖. Throws Error(invalid_argument) for an empty or all-zero vector.
std::vector<float> normalized(std::span<const float> v);
// Normalizes each row of an n × dim matrix in place.
void normalize_rows(std::span<float> rows, size_t dim);

// cos(a, b) in [-1, 1]. Sizes must match.
float cosine_similarity(std::span<const float> a, std::span<const float> b);

// softmax over texts of logit_scale · cos(image, text_i), as CLIP's logits_per_image.
// texts: n × dim. Returns n probabilities.
std::vector<float> label_probs(std::span<const float> image, std::span<const float> texts,
                               float logit_scale);

// sigmoid(logit_scale · cos(image, text_i) + logit_bias) for each text on its own, as
// SigLIP's logits_per_image through a sigmoid: independent probabilities.
std::vector<float> sigmoid_scores(std::span<const float> image, std::span<const float> texts,
                                  float logit_scale, float logit_bias);

// The model's own scores: label_probs for Scoring::softmax (CLIP), sigmoid_scores with
// its logit_bias for Scoring::sigmoid (SigLIP).
std::vector<float> label_scores(std::span<const float> image, std::span<const float> texts,
                                const Model& model);

}  // namespace clipkit
