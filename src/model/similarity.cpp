#include "clipkit/similarity.hpp"

#include <cmath>
#include <string>

#include "clipkit/error.hpp"
#include "clipkit/model.hpp"
#include "kernels/ops.hpp"

namespace clipkit {

namespace {
double norm(std::span<const float> v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return std::sqrt(s);
}
}  // namespace

std::vector<float> normalized(std::span<const float> v) {
  const double n = norm(v);
  if (v.empty() || n == 0.0 || !std::isfinite(n))
    throw Error(ErrorCode::invalid_argument, "cannot normalize an empty, zero or non-finite vector");
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] / n);
  return out;
}

void normalize_rows(std::span<float> rows, size_t dim) {
  if (dim == 0 || rows.size() % dim)
    throw Error(ErrorCode::invalid_argument, "normalize_rows: size " + std::to_string(rows.size()) +
                                                 " is not a multiple of " + std::to_string(dim));
  for (size_t r = 0; r < rows.size(); r += dim) {
    auto row = rows.subspan(r, dim);
    auto n = normalized(row);
    std::copy(n.begin(), n.end(), row.begin());
  }
}

float cosine_similarity(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size() || a.empty())
    throw Error(ErrorCode::invalid_argument, "cosine_similarity: sizes " + std::to_string(a.size()) + " and " +
                                                 std::to_string(b.size()));
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += double(a[i]) * b[i];
  const double denom = norm(a) * norm(b);
  if (denom == 0.0) throw Error(ErrorCode::invalid_argument, "cosine_similarity of a zero vector");
  return static_cast<float>(dot / denom);
}

std::vector<float> label_probs(std::span<const float> image, std::span<const float> texts, float logit_scale) {
  const size_t dim = image.size();
  if (dim == 0 || texts.size() % dim || texts.empty())
    throw Error(ErrorCode::invalid_argument, "label_probs: text matrix of " + std::to_string(texts.size()) +
                                                 " floats does not hold rows of " + std::to_string(dim));
  std::vector<float> logits;
  for (size_t r = 0; r < texts.size(); r += dim)
    logits.push_back(logit_scale * cosine_similarity(image, texts.subspan(r, dim)));
  kernels::softmax(logits.data(), logits.size());
  return logits;
}

std::vector<float> sigmoid_scores(std::span<const float> image, std::span<const float> texts, float logit_scale,
                                  float logit_bias) {
  const size_t dim = image.size();
  if (dim == 0 || texts.size() % dim || texts.empty())
    throw Error(ErrorCode::invalid_argument, "sigmoid_scores: text matrix of " + std::to_string(texts.size()) +
                                                 " floats does not hold rows of " + std::to_string(dim));
  std::vector<float> scores;
  for (size_t r = 0; r < texts.size(); r += dim) {
    const double logit = double(logit_scale) * cosine_similarity(image, texts.subspan(r, dim)) + logit_bias;
    scores.push_back(static_cast<float>(1.0 / (1.0 + std::exp(-logit))));
  }
  return scores;
}

std::vector<float> label_scores(std::span<const float> image, std::span<const float> texts, const Model& model) {
  if (model.scoring() == Scoring::sigmoid) return sigmoid_scores(image, texts, model.logit_scale(), model.logit_bias());
  return label_probs(image, texts, model.logit_scale());
}

}  // namespace clipkit
