// clipkit/similarity.hpp — cosine similarity and zero-shot label probabilities.
//
//   auto probs = clipkit::label_probs(image_embedding, text_embeddings, model.logit_scale());
//
// Embeddings are row-major (n × dim). Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace clipkit {

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

}  // namespace clipkit
