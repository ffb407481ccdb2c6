// The shard's IVF-PQ index (faiss): recall of its re-ranked candidates against exact
// search, replacement of an id on add, and the errors for unusable settings.
#include "cluster/ivfpq.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "clipkit/error.hpp"

namespace clipkit::cluster {
namespace {

// n unit vectors of dimension dim around `centres` random centres (the same centres for
// every call), the points seeded by `seed`.
std::vector<float> clustered(size_t n, size_t dim, size_t centres, uint32_t seed) {
  std::mt19937 centre_rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> c(centres * dim);
  for (float& x : c) x = normal(centre_rng);
  std::mt19937 rng(seed);
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = (i * 7 + seed) % centres;
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      v[i * dim + d] = c[k * dim + d] + 0.5f * normal(rng);
      norm += static_cast<double>(v[i * dim + d]) * v[i * dim + d];
    }
    for (size_t d = 0; d < dim; ++d) v[i * dim + d] = static_cast<float>(v[i * dim + d] / std::sqrt(norm));
  }
  return v;
}

float dot(const float* a, const float* b, size_t dim) {
  float s = 0;
  for (size_t d = 0; d < dim; ++d) s += a[d] * b[d];
  return s;
}

TEST(IvfPq, ReRankedCandidatesFindTheExactTopTen) {
  constexpr size_t n = 3000, dim = 32, queries = 50, k = 10;
  const auto data = clustered(n, dim, 30, 11);
  const auto query = clustered(queries, dim, 30, 12);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(1000 + i);  // ids need not be rows
  auto ivf = IvfPq::train(data, ids, dim, {.nlist = 16, .pq_m = 8});
  EXPECT_EQ(ivf->size(), n);
  EXPECT_EQ(ivf->nlist(), 16u);
  EXPECT_EQ(ivf->pq_m(), 8u);
  size_t found_raw = 0, found_refined = 0;
  for (size_t q = 0; q < queries; ++q) {
    const float* qv = query.data() + q * dim;
    std::vector<std::pair<float, int64_t>> exact;
    for (size_t i = 0; i < n; ++i) exact.emplace_back(dot(data.data() + i * dim, qv, dim), ids[i]);
    std::partial_sort(exact.begin(), exact.begin() + k, exact.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::set<int64_t> truth;
    for (size_t i = 0; i < k; ++i) truth.insert(exact[i].second);
    for (const auto& [s, id] : ivf->search({qv, dim}, k, 16)) found_raw += truth.count(id);
    std::vector<std::pair<float, int64_t>> refined;
    for (const auto& [s, id] : ivf->search({qv, dim}, 8 * k, 16))
      refined.emplace_back(dot(data.data() + static_cast<size_t>(id - 1000) * dim, qv, dim), id);
    std::partial_sort(refined.begin(), refined.begin() + k, refined.end(), [](auto& a, auto& b) { return a.first > b.first; });
    for (size_t i = 0; i < k; ++i) found_refined += truth.count(refined[i].second);
  }
  const double raw = static_cast<double>(found_raw) / (queries * k);
  const double refined = static_cast<double>(found_refined) / (queries * k);
  std::printf("recall@10: codes %.3f, re-ranking 80 %.3f\n", raw, refined);
  EXPECT_GE(refined, 0.95);
  EXPECT_GT(refined, raw);
}

TEST(IvfPq, AddReplacesAnId) {
  constexpr size_t n = 1000, dim = 16;
  const auto data = clustered(n, dim, 10, 21);
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  auto ivf = IvfPq::train(data, ids, dim, {.nlist = 4, .pq_m = 4});
  // Id 5 moves to where the query is: it must come first, and appear once.
  const auto moved = clustered(1, dim, 10, 99);
  const int64_t five = 5;
  ivf->add(moved, std::span(&five, 1));
  EXPECT_EQ(ivf->size(), n);
  const auto hits = ivf->search(moved, 20, 4);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].second, 5);
  EXPECT_EQ(std::count_if(hits.begin(), hits.end(), [](auto& h) { return h.second == 5; }), 1);
}

TEST(IvfPq, UnusableSettingsAreNamed) {
  const auto data = clustered(100, 16, 4, 1);
  std::vector<int64_t> ids(100);
  try {
    IvfPq::train(data, ids, 16, {.nlist = 4, .pq_m = 4});
    ADD_FAILURE() << "trained on 100 vectors";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("100 vectors are too few"), std::string::npos) << e.what();
  }
  const auto more = clustered(600, 16, 4, 1);
  std::vector<int64_t> more_ids(600);
  try {
    IvfPq::train(more, more_ids, 16, {.nlist = 4, .pq_m = 5});
    ADD_FAILURE() << "5 sub-quantizers for 16 dimensions";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("5 sub-quantizers do not divide dimension 16"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace clipkit::cluster
