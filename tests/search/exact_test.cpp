#include "search/exact.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <numeric>
#include <random>

#include "clipkit/error.hpp"

namespace clipkit::search {
namespace {

std::vector<float> random_vectors(size_t n, size_t dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (auto& x : v) x = normal(rng);
  return v;
}

TEST(Exact, BlasMatchesScalarReference) {
  const size_t n = 1037, dim = 96;
  auto vectors = random_vectors(n, dim, 1), query = random_vectors(1, dim, 2);
  std::vector<float> fast(n), slow(n);
  inner_products(vectors, dim, query, fast);
  inner_products_reference(vectors, dim, query, slow);
  for (size_t i = 0; i < n; ++i) ASSERT_NEAR(fast[i], slow[i], 1e-4f * (1 + std::abs(slow[i]))) << "row " << i;
}

TEST(Exact, TopKIsTheSortedPrefix) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> coarse(0, 50);  // many ties
  std::vector<float> scores(500);
  for (auto& s : scores) s = static_cast<float>(coarse(rng)) / 50.0f;
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  for (size_t k : {1u, 7u, 100u, 500u, 900u}) {
    auto best = top_k(scores, k, std::nullopt, std::nullopt);
    ASSERT_EQ(best.size(), std::min<size_t>(k, scores.size()));
    for (size_t i = 0; i < best.size(); ++i) {
      ASSERT_EQ(best[i].second, order[i]) << "k=" << k << " rank " << i;
      ASSERT_EQ(best[i].first, scores[order[i]]);
    }
  }
}

TEST(Exact, ThresholdAndExclude) {
  std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.95f, 0.2f};
  auto best = top_k(scores, 10, 0.3f, size_t{3});
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].second, 1u);
  EXPECT_EQ(best[1].second, 2u);
  EXPECT_TRUE(top_k(scores, 0, std::nullopt, std::nullopt).empty());
  EXPECT_TRUE(top_k({}, 5, std::nullopt, std::nullopt).empty());
}

TEST(Exact, SizeMismatchThrows) {
  std::vector<float> vectors(10), query(3), scores(2);
  EXPECT_THROW(inner_products(vectors, 5, query, scores), Error);
}

}  // namespace
}  // namespace clipkit::search
