// search/exact.hpp — exact nearest neighbours by inner product: one BLAS
// matrix–vector product over all vectors, then a partial sort. The scalar reference
// beside it is what the tests compare against.
//
//   std::vector<float> scores(count);
//   inner_products(vectors, dim, query, scores);        // vectors: count × dim, row-major
//   auto best = top_k(scores, 10, std::nullopt, std::nullopt);
//
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace clipkit::search {

// scores[i] = <vectors[i], query>. Sizes: vectors count×dim, query dim, scores count.
void inner_products(std::span<const float> vectors, size_t dim, std::span<const float> query,
                    std::span<float> scores);
void inner_products_reference(std::span<const float> vectors, size_t dim, std::span<const float> query,
                              std::span<float> scores);

// The k best (score, row) pairs, best first; ties by lower row. Rows scoring below
// `threshold` and the row `exclude` are left out.
std::vector<std::pair<float, size_t>> top_k(std::span<const float> scores, size_t k,
                                            std::optional<float> threshold, std::optional<size_t> exclude);

}  // namespace clipkit::search
