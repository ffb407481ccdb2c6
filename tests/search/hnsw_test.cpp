#include "search/hnsw.hpp"

#include <gtest/gtest.h>
#include <random>
#include <unordered_set>

#include "clipkit/error.hpp"
#include "search/exact.hpp"
#include "support/test_support.hpp"

namespace clipkit::search {
namespace {

std::vector<float> random_unit_vectors(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) norm += std::pow(v[i * dim + d] = normal(rng), 2);
    for (size_t d = 0; d < dim; ++d) v[i * dim + d] = static_cast<float>(v[i * dim + d] / std::sqrt(norm));
  }
  return v;
}

// Recall@10 of HNSW against exact search, over random unit vectors (a hard case: no
// cluster structure to exploit).
TEST(Hnsw, RecallAt10AgainstExact) {
#ifdef CLIPKIT_SANITIZED
  const size_t n = 4'000, dim = 64, queries = 100, k = 10;  // hnswlib's plain loops under ASan: 2 min at 20k
#else
  const size_t n = 20'000, dim = 64, queries = 200, k = 10;
#endif
  auto vectors = random_unit_vectors(n, dim, 7);
  auto query_vectors = random_unit_vectors(queries, dim, 8);
  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int64_t>(i) + 1000;  // labels are not rows
  auto graph = HnswGraph::build(vectors, labels, dim, {.m = 32, .ef_construction = 200, .threads = 0});
  ASSERT_EQ(graph->size(), n);

  testing::TempDir tmp;
  graph->save(tmp.path() / "g.hnsw");
  auto loaded = HnswGraph::load(tmp.path() / "g.hnsw", dim);
  ASSERT_EQ(loaded->size(), n);

  size_t found = 0;
  std::vector<float> scores(n);
  for (size_t q = 0; q < queries; ++q) {
    std::span<const float> query(query_vectors.data() + q * dim, dim);
    inner_products(vectors, dim, query, scores);
    std::unordered_set<int64_t> truth;
    for (const auto& [score, row] : top_k(scores, k, std::nullopt, std::nullopt)) truth.insert(labels[row]);
    auto hits = loaded->search(query, k, 256);
    ASSERT_EQ(hits.size(), k);
    for (size_t i = 0; i < hits.size(); ++i) {
      if (i) {
        ASSERT_GE(hits[i - 1].first, hits[i].first) << "not best first";
      }
      const int64_t row = hits[i].second - 1000;
      ASSERT_NEAR(hits[i].first, scores[static_cast<size_t>(row)], 1e-4f) << "score is not the inner product";
      found += truth.count(hits[i].second);
    }
  }
  const double recall = static_cast<double>(found) / (queries * k);
  RecordProperty("recall_at_10", std::to_string(recall));
  EXPECT_GE(recall, 0.98);
}

TEST(Hnsw, WrongDimensionsThrow) {
  std::vector<float> vectors(12);
  std::vector<int64_t> labels = {1, 2, 3};
  EXPECT_THROW(HnswGraph::build(vectors, labels, 5, {}), Error);
  auto graph = HnswGraph::build(vectors, labels, 4, {});
  std::vector<float> query(3);
  EXPECT_THROW(graph->search(query, 1, 10), Error);
}

}  // namespace
}  // namespace clipkit::search
