#include "search/exact.hpp"

#include <algorithm>
#include <string>

#include "clipkit/error.hpp"
#include "kernels/blas.hpp"
#include "kernels/reference.hpp"

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
  kernels::matvec(vectors.data(), scores.size(), dim, query.data(), scores.data());
}

void inner_products_reference(std::span<const float> vectors, size_t dim, std::span<const float> query,
                              std::span<float> scores) {
  check_sizes(vectors, dim, query, scores);
  kernels::matvec_reference(vectors.data(), scores.size(), dim, query.data(), scores.data());
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
