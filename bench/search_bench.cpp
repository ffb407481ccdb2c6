// search_bench — exact (BLAS sgemv) vs HNSW (hnswlib) search over synthetic unit vectors:
// latency (min/median/max over queries, after warm-up), HNSW recall@10 against exact,
// build time and memory. Two kinds of data (docs/search.md):
//   --data uniform    uniform on the sphere: the worst case for a graph index;
//   --data clustered  an embedding-like Gaussian mixture (few thousand centres, power-law
//                     spread inside each cluster); queries come from the same mixture.
//
//   search_bench --data clustered --n 100000 --dim 512 --m 32 --ef-construction 200
//                --ef 16,32,64,128,256 --queries 200 --threads 2   (one command line)
//
// --ivfpq NLIST:M,… adds faiss IVF-PQ indexes (what `clipkit shard` builds, docs/scale.md):
// per setting the training time and size, then for each --nprobe the recall@10 of the
// codes alone and after re-ranking --refine·10 candidates by their full vectors (the
// shard reads those from its SQLite index; here they are in memory).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "kernels/blas.hpp"
#include "search/exact.hpp"
#include "cluster/ivfpq.hpp"
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

// Work split into fixed blocks of rows, each with its own seeded generator, so that the
// data depend on the seed only, not on the number of threads.
template <class Fill>
void parallel_rows(size_t n, Fill fill) {
  constexpr size_t block = 4096;
  const size_t blocks = (n + block - 1) / block;
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t b; (b = next.fetch_add(1)) < blocks;) fill(b, b * block, std::min(n, (b + 1) * block));
    });
  for (auto& t : pool) t.join();
}

void normalize(float* v, size_t dim) {
  double norm = 0;
  for (size_t d = 0; d < dim; ++d) norm += static_cast<double>(v[d]) * v[d];
  const float inv = static_cast<float>(1 / std::sqrt(norm));
  for (size_t d = 0; d < dim; ++d) v[d] *= inv;
}

// Uniform on the unit sphere: N(0, I) normalized. The worst case for a graph index.
void random_unit(std::vector<float>& v, size_t n, size_t dim, uint32_t seed) {
  v.resize(n * dim);
  parallel_rows(n, [&](size_t b, size_t begin, size_t end) {
    std::mt19937_64 rng(seed * 1'000'003ull + b);
    std::normal_distribution<float> normal;
    for (size_t i = begin; i < end; ++i) {
      for (size_t d = 0; d < dim; ++d) v[i * dim + d] = normal(rng);
      normalize(v.data() + i * dim, dim);
    }
  });
}

// An embedding-like Gaussian mixture (see docs/search.md):
//   centres c_j, j < clusters: uniform on the unit sphere (seed `centre_seed`);
//   a point picks j uniformly and is normalize(c_j + spread * z), z_d ~ N(0, lambda_d),
//   lambda_d proportional to (d+1)^-decay, sum lambda_d = 1 (so |z| ~ 1): a power-law
//   spectrum, i.e. low intrinsic dimension inside each cluster, like real CLIP features.
struct Mixture {
  size_t clusters = 2000;
  float spread = 0.6f;
  float decay = 1.0f;
  uint32_t centre_seed = 4242;
};

void clustered(std::vector<float>& v, size_t n, size_t dim, uint32_t seed, const Mixture& mix) {
  std::vector<float> centres;
  random_unit(centres, mix.clusters, dim, mix.centre_seed);
  std::vector<float> sd(dim);
  double total = 0;
  for (size_t d = 0; d < dim; ++d) total += std::pow(static_cast<double>(d + 1), -mix.decay);
  for (size_t d = 0; d < dim; ++d)
    sd[d] = mix.spread * static_cast<float>(std::sqrt(std::pow(static_cast<double>(d + 1), -mix.decay) / total));
  v.resize(n * dim);
  parallel_rows(n, [&](size_t b, size_t begin, size_t end) {
    std::mt19937_64 rng(seed * 1'000'003ull + b);
    std::normal_distribution<float> normal;
    std::uniform_int_distribution<size_t> pick(0, mix.clusters - 1);
    for (size_t i = begin; i < end; ++i) {
      const float* c = centres.data() + pick(rng) * dim;
      for (size_t d = 0; d < dim; ++d) v[i * dim + d] = c[d] + sd[d] * normal(rng);
      normalize(v.data() + i * dim, dim);
    }
  });
}

struct Stats {
  double min, median, max;
};
Stats summarize(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 2], t.back()};
}

}  // namespace

double status_mb(const char* key) {
  std::ifstream in("/proc/self/status");
  const std::string k = key;
  for (std::string line; std::getline(in, line);)
    if (line.rfind(k, 0) == 0) return std::stod(line.substr(k.size())) / 1024.0;
  return 0;
}

// Runs `search(q)` (→ (score, id) hits) for every query q: the ms each took, and how many
// of the hits are among the query's true neighbours.
template <class Search>
std::pair<std::vector<double>, size_t> timed_recall(size_t queries, const std::vector<std::unordered_set<size_t>>& truth,
                                                    Search&& search) {
  std::vector<double> ms;
  size_t found = 0;
  for (size_t q = 0; q < queries; ++q) {
    const auto start = Clock::now();
    const auto hits = search(q);
    ms.push_back(ms_since(start));
    for (const auto& [score, id] : hits) found += truth[q].count(static_cast<size_t>(id));
  }
  return {ms, found};
}

int main(int argc, char** argv) {
  size_t n = 100'000, dim = 512, queries = 200, k = 10, m = 32, ef_construction = 200;
  int threads = 0;
  double target = 0.98;
  std::string data = "uniform";
  Mixture mix;
  std::vector<size_t> efs = {16, 32, 64, 128, 256, 512};
  bool skip_hnsw = false, bad = false;
  std::vector<std::pair<size_t, size_t>> ivf_settings;  // nlist, pq m
  std::vector<size_t> nprobes = {8, 16, 32, 64};
  std::vector<size_t> refines = {4, 16};
  auto numbers = [](const std::string& text) {  // "8,16,32"
    std::vector<size_t> list;
    std::stringstream in(text);
    for (std::string e; std::getline(in, e, ',');) list.push_back(std::stoull(e));
    return list;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : "0"; };
    if (a == "--n") n = std::stoull(next());
    else if (a == "--dim") dim = std::stoull(next());
    else if (a == "--queries") queries = std::stoull(next());
    else if (a == "--m") m = std::stoull(next());
    else if (a == "--ef-construction") ef_construction = std::stoull(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--target") target = std::stod(next());
    else if (a == "--data") data = next();
    else if (a == "--clusters") mix.clusters = std::stoull(next());
    else if (a == "--spread") mix.spread = std::stof(next());
    else if (a == "--decay") mix.decay = std::stof(next());
    else if (a == "--no-hnsw") skip_hnsw = true;
    else if (a == "--refine") refines = numbers(next());
    else if (a == "--ivfpq") {
      std::stringstream list(next());
      for (std::string e; std::getline(list, e, ',');) {
        const size_t colon = e.find(':');
        if (colon == std::string::npos) bad = true;
        else ivf_settings.emplace_back(std::stoull(e.substr(0, colon)), std::stoull(e.substr(colon + 1)));
      }
    } else if (a == "--nprobe") {
      nprobes = numbers(next());
    }
    else if (a == "--ef") {
      efs = numbers(next());
    } else {
      bad = true;
    }
    if (bad || (data != "uniform" && data != "clustered") || n == 0 || dim == 0 || queries == 0 ||
        mix.clusters == 0) {
      std::fprintf(stderr,
                   "usage: search_bench [--data uniform|clustered] [--n N] [--dim D] [--queries Q] [--m M]\n"
                   "       [--ef-construction E] [--ef A,B,C] [--threads T] [--target R] [--no-hnsw]\n"
                   "       [--clusters C] [--spread S] [--decay A]   (clustered data)\n"
                   "       [--ivfpq NLIST:M,...] [--nprobe A,B,...] [--refine R,S,...]\n");
      return 2;
    }
  }
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  std::printf("cpu: %s, %u hardware threads, BLAS: %s (sgemv)\n", cpu_name().c_str(), hw, kernels::blas_name());
  std::printf("data=%s n=%zu dim=%zu queries=%zu k=%zu", data.c_str(), n, dim, queries, k);
  if (data == "clustered")
    std::printf(" clusters=%zu spread=%.3g decay=%.3g", mix.clusters, static_cast<double>(mix.spread),
                static_cast<double>(mix.decay));
  std::printf("\n");
  const double rss0 = rss_mb();
  std::vector<float> vectors, query_vectors;
  auto t_gen = Clock::now();
  if (data == "clustered") {
    clustered(vectors, n, dim, 1, mix);
    clustered(query_vectors, queries, dim, 999, mix);  // same centres, new points
  } else {
    random_unit(vectors, n, dim, 1);
    random_unit(query_vectors, queries, dim, 999);
  }
  std::printf("vectors: %.0f MB (fp32), generated in %.1f s\n", rss_mb() - rss0, ms_since(t_gen) / 1000);
  std::fflush(stdout);

  // Exact: warm-up, then one timing per query; keep the truth for recall.
  std::vector<float> scores(n);
  std::vector<std::unordered_set<size_t>> truth(queries);
  std::vector<double> top1, top10;
  for (int w = 0; w < 3; ++w) search::inner_products(vectors, dim, {query_vectors.data(), dim}, scores);
  std::vector<double> exact_ms;
  for (size_t q = 0; q < queries; ++q) {
    const auto t = Clock::now();
    search::inner_products(vectors, dim, {query_vectors.data() + q * dim, dim}, scores);
    auto best = search::top_k(scores, k, std::nullopt, std::nullopt);
    exact_ms.push_back(ms_since(t));
    for (const auto& [s, row] : best) truth[q].insert(row);
    top1.push_back(best.front().first);
    top10.push_back(best.back().first);
  }
  const Stats e = summarize(exact_ms);
  // The mean inner product of two random vectors shows how "spread out" the data are.
  double pair = 0;
  for (size_t i = 0; i < 1000; ++i) {
    const size_t a = (i * 7919) % n, b = (i * 104729 + 1) % n;
    for (size_t d = 0; d < dim; ++d) pair += static_cast<double>(vectors[a * dim + d]) * vectors[b * dim + d];
  }
  std::printf("similarity: query's 1st neighbour median %.3f, 10th median %.3f; random pair mean %.3f\n",
              summarize(top1).median, summarize(top10).median, pair / 1000);
  std::printf("exact: min %.2f / median %.2f / max %.2f ms per query\n", e.min, e.median, e.max);
  std::fflush(stdout);

  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i);
  for (const auto& [nlist, pq_m] : ivf_settings) {
    const double rss_before = rss_mb();
    const auto t_train = Clock::now();
    auto ivf = cluster::IvfPq::train(vectors, ids, dim, {nlist, pq_m, 0});
    const double train_s = ms_since(t_train) / 1000;
    std::printf("ivfpq nlist=%zu m=%zu (%zu bytes/vector + 8-byte id): trained and filled in %.1f s, RSS +%.0f MB\n",
                nlist, pq_m, pq_m, train_s, rss_mb() - rss_before);
    std::fflush(stdout);
    for (size_t nprobe : nprobes) {
      const auto [raw_ms, raw_found] =
          timed_recall(queries, truth, [&](size_t q) { return ivf->search({query_vectors.data() + q * dim, dim}, k, nprobe); });
      std::printf("ivfpq nlist=%zu m=%zu nprobe=%zu: codes only: recall@10 %.4f, median %.3f ms", nlist, pq_m, nprobe,
                  static_cast<double>(raw_found) / static_cast<double>(queries * k), summarize(raw_ms).median);
      for (size_t refine : refines) {
        const auto [refined_ms, refined_found] = timed_recall(queries, truth, [&](size_t q) {
          std::span<const float> query(query_vectors.data() + q * dim, dim);
          std::vector<std::pair<float, int64_t>> rescored;
          for (const auto& [approx, id] : ivf->search(query, k * refine, nprobe)) {
            const float* v = vectors.data() + static_cast<size_t>(id) * dim;
            float dot = 0;
            for (size_t d = 0; d < dim; ++d) dot += v[d] * query[d];
            rescored.emplace_back(dot, id);
          }
          const size_t keep = std::min(k, rescored.size());
          std::partial_sort(rescored.begin(), rescored.begin() + static_cast<std::ptrdiff_t>(keep), rescored.end(),
                            [](const auto& a, const auto& b) { return a.first > b.first; });
          rescored.resize(keep);
          return rescored;
        });
        std::printf("; re-ranking %zu: recall@10 %.4f, median %.3f ms", k * refine,
                    static_cast<double>(refined_found) / static_cast<double>(queries * k), summarize(refined_ms).median);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  if (skip_hnsw) return 0;

  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<int64_t>(i);
  const double rss1 = rss_mb();
  const auto t = Clock::now();
  auto graph =
      search::HnswGraph::build(vectors, labels, dim, {.m = m, .ef_construction = ef_construction, .threads = threads});
  const double build_s = ms_since(t) / 1000;
  std::printf("hnsw: M=%zu ef_construction=%zu threads=%u build %.1f s (%.0f vectors/s), graph %.0f MB "
              "(RSS +%.0f MB, peak RSS %.0f MB)\n",
              m, ef_construction, threads > 0 ? static_cast<unsigned>(threads) : hw, build_s,
              static_cast<double>(n) / build_s, graph->memory_bytes() / 1048576.0, rss_mb() - rss1,
              status_mb("VmHWM:"));
  std::fflush(stdout);
  std::optional<size_t> reached;
  for (size_t ef : efs) {
    for (size_t w = 0; w < std::min<size_t>(queries, 10); ++w) graph->search({query_vectors.data() + w * dim, dim}, k, ef);
    const auto [ms, found] =
        timed_recall(queries, truth, [&](size_t q) { return graph->search({query_vectors.data() + q * dim, dim}, k, ef); });
    const Stats h = summarize(ms);
    const double recall = static_cast<double>(found) / static_cast<double>(queries * k);
    if (!reached && recall >= target) reached = ef;
    std::printf("hnsw ef=%zu: min %.3f / median %.3f / max %.3f ms per query, recall@10 %.4f\n", ef, h.min, h.median,
                h.max, recall);
    std::fflush(stdout);
  }
  if (reached) std::printf("recall@10 >= %.2f first reached at ef=%zu\n", target, *reached);
  else std::printf("recall@10 >= %.2f not reached at any ef tried\n", target);
  return 0;
}
