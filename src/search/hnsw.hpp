// search/hnsw.hpp — an approximate nearest-neighbour graph over unit vectors (Debian's
// hnswlib, inner-product space), built in parallel, saved and loaded as one file.
//
//   auto graph = HnswGraph::build(vectors, labels, dim, {.m = 32, .ef_construction = 200});
//   graph->save("photos.clipkit.hnsw");
//   auto hits = graph->search(query, 10, 128);   // (score, label), best first
//
// Thread-safety: search() may run from many threads at once; build/save/load are not
// concurrent with anything on the same graph.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "clipkit/index.hpp"

namespace clipkit::search {

class HnswGraph {
 public:
  // vectors: labels.size() × dim, row-major, unit length.
  static std::unique_ptr<HnswGraph> build(std::span<const float> vectors, std::span<const int64_t> labels, size_t dim,
                                          const HnswOptions& options);
  // The caller checks the file's integrity first (hnswlib trusts its input).
  static std::unique_ptr<HnswGraph> load(const std::filesystem::path& path, size_t dim);
  ~HnswGraph();

  void save(const std::filesystem::path& path) const;
  size_t size() const;
  size_t memory_bytes() const;

  // (score = inner product, label), best first; at most k.
  std::vector<std::pair<float, int64_t>> search(std::span<const float> query, size_t k, size_t ef) const;

  struct Impl;

 private:
  explicit HnswGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipkit::search
