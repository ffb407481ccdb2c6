// search_bench — exact (BLAS sgemv) vs HNSW (hnswlib) search over random unit vectors:
// latency (min/median/max over queries, after warm-up), HNSW recall@10 against exact,
// build time and memory.
//
//   search_bench --n 100000 --dim 512 --m 32 --ef-construction 200 --ef 64,128,256 --queries 200
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>

#include "search/exact.hpp"
#include "search/hnsw.hpp"

using namespace clipkit;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double rss_mb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

void random_unit(std::vector<float>& v, size_t n, size_t dim, uint32_t seed) {
  v.resize(n * dim);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::mt19937 rng(seed + t);
      std::normal_distribution<float> normal;
      for (size_t i = t; i < n; i += threads) {
        double norm = 0;
        for (size_t d = 0; d < dim; ++d) norm += std::pow(v[i * dim + d] = normal(rng), 2);
        const float inv = static_cast<float>(1 / std::sqrt(norm));
        for (size_t d = 0; d < dim; ++d) v[i * dim + d] *= inv;
      }
    });
  for (auto& t : pool) t.join();
}

struct Stats {
  double min, median, max;
};
Stats summarize(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2], t.back()};
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 100'000, dim = 512, queries = 200, k = 10, m = 32, ef_construction = 200;
  std::vector<size_t> efs = {64, 128, 256};
  bool skip_hnsw = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--n") n = std::stoull(next());
    else if (a == "--dim") dim = std::stoull(next());
    else if (a == "--queries") queries = std::stoull(next());
    else if (a == "--m") m = std::stoull(next());
    else if (a == "--ef-construction") ef_construction = std::stoull(next());
    else if (a == "--no-hnsw") skip_hnsw = true;
    else if (a == "--ef") {
      efs.clear();
      std::stringstream list(next());
      for (std::string e; std::getline(list, e, ',');) efs.push_back(std::stoull(e));
    } else {
      std::fprintf(stderr, "usage: search_bench [--n N] [--dim D] [--queries Q] [--m M] [--ef-construction E] "
                           "[--ef A,B,C] [--no-hnsw]\n");
      return 2;
    }
  }
  std::printf("cpu: %s, %u threads, BLAS: OpenBLAS (cblas_sgemv)\n", cpu_name().c_str(),
              std::thread::hardware_concurrency());
  std::printf("n=%zu dim=%zu queries=%zu k=%zu\n", n, dim, queries, k);
  const double rss0 = rss_mb();
  std::vector<float> vectors, query_vectors;
  random_unit(vectors, n, dim, 1);
  random_unit(query_vectors, queries, dim, 999);
  std::printf("vectors: %.0f MB (fp32)\n", rss_mb() - rss0);

  // Exact: warm-up, then one timing per query; keep the truth for recall.
  std::vector<float> scores(n);
  std::vector<std::unordered_set<size_t>> truth(queries);
  for (int w = 0; w < 3; ++w) search::inner_products(vectors, dim, {query_vectors.data(), dim}, scores);
  std::vector<double> exact_ms;
  for (size_t q = 0; q < queries; ++q) {
    const auto t = Clock::now();
    search::inner_products(vectors, dim, {query_vectors.data() + q * dim, dim}, scores);
    auto best = search::top_k(scores, k, std::nullopt, std::nullopt);
    exact_ms.push_back(ms_since(t));
    for (const auto& [s, row] : best) truth[q].insert(row);
  }
  const Stats e = summarize(exact_ms);
  std::printf("exact: min %.2f / median %.2f / max %.2f ms per query\n", e.min, e.median, e.max);
  if (skip_hnsw) return 0;

  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int64_t>(i);
  const double rss1 = rss_mb();
  const auto t = Clock::now();
  auto graph = search::HnswGraph::build(vectors, labels, dim, {.m = m, .ef_construction = ef_construction, .threads = 0});
  const double build_s = ms_since(t) / 1000;
  std::printf("hnsw: M=%zu ef_construction=%zu build %.1f s (%.0f vectors/s), graph %.0f MB (RSS +%.0f MB)\n", m,
              ef_construction, build_s, static_cast<double>(n) / build_s, graph->memory_bytes() / 1048576.0,
              rss_mb() - rss1);
  for (size_t ef : efs) {
    for (size_t w = 0; w < std::min<size_t>(queries, 10); ++w) graph->search({query_vectors.data() + w * dim, dim}, k, ef);
    std::vector<double> ms;
    size_t found = 0;
    for (size_t q = 0; q < queries; ++q) {
      const auto s = Clock::now();
      auto hits = graph->search({query_vectors.data() + q * dim, dim}, k, ef);
      ms.push_back(ms_since(s));
      for (const auto& [score, label] : hits) found += truth[q].count(static_cast<size_t>(label));
    }
    const Stats h = summarize(ms);
    std::printf("hnsw ef=%zu: min %.3f / median %.3f / max %.3f ms per query, recall@10 %.4f\n", ef, h.min, h.median,
                h.max, static_cast<double>(found) / static_cast<double>(queries * k));
  }
  return 0;
}
