#include "search/exact.hpp"

#include <algorithm>
#include <cblas.h>
#include <climits>
#include <string>

#include "clipkit/error.hpp"

namespace clipkit::search {

namespace {

void check_sizes(std::span<const float> vectors, size_t dim, std::span<const float> query, std::span<float> scores) {
  if (dim == 0 || query.size() != dim || vectors.size() != scores.size() * dim)
    throw Error(ErrorCode::invalid_argument, "inner_products: " + std::to_string(vectors.size()) +
                                                 " floats of vectors, a query of " + std::to_string(query.size()) +
                                                 ", dim " + std::to_string(dim) + ", " +
                                                 std::to_string(scores.size()) + " scores do not fit together");
}

}  // namespace

void inner_products(std::span<const float> vectors, size_t dim, std::span<const float> query, std::span<float> scores) {
  check_sizes(vectors, dim, query, scores);
  // sgemv takes int sizes: go in chunks of rows so that a huge collection cannot overflow.
  const size_t chunk = static_cast<size_t>(INT_MAX) / dim;
  for (size_t begin = 0; begin < scores.size(); begin += chunk) {
    const size_t rows = std::min(chunk, scores.size() - begin);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(rows), static_cast<int>(dim), 1.0f,
                vectors.data() + begin * dim, static_cast<int>(dim), query.data(), 1, 0.0f, scores.data() + begin, 1);
  }
}

void inner_products_reference(std::span<const float> vectors, size_t dim, std::span<const float> query,
                              std::span<float> scores) {
  check_sizes(vectors, dim, query, scores);
  for (size_t i = 0; i < scores.size(); ++i) {
    double sum = 0;
    for (size_t d = 0; d < dim; ++d) sum += static_cast<double>(vectors[i * dim + d]) * query[d];
    scores[i] = static_cast<float>(sum);
  }
}

std::vector<std::pair<float, size_t>> top_k(std::span<const float> scores, size_t k, std::optional<float> threshold,
                                            std::optional<size_t> exclude) {
  std::vector<std::pair<float, size_t>> best;
  if (k == 0) return best;
  auto better = [](const std::pair<float, size_t>& a, const std::pair<float, size_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  // A bounded min-heap (worst on top) keeps this O(n log k).
  best.reserve(std::min(k, scores.size()) + 1);
  for (size_t i = 0; i < scores.size(); ++i) {
    const float s = scores[i];
    if ((threshold && !(s >= *threshold)) || (exclude && *exclude == i) || s != s) continue;
    if (best.size() < k) {
      best.emplace_back(s, i);
      std::push_heap(best.begin(), best.end(), better);
    } else if (better({s, i}, best.front())) {
      std::pop_heap(best.begin(), best.end(), better);
      best.back() = {s, i};
      std::push_heap(best.begin(), best.end(), better);
    }
  }
  std::sort_heap(best.begin(), best.end(), better);
  return best;
}

}  // namespace clipkit::search
