// cluster/ivfpq.hpp — a faiss IVF-PQ index over a shard's unit vectors (inner product):
// ≈ pq_m bytes per vector plus its 8-byte id, for shards too large to scan.
//
//   auto ivf = IvfPq::train(vectors, ids, dim, {.nlist = 1024, .pq_m = 64});
//   ivf.add(more_vectors, more_ids);            // an id already there is replaced
//   auto hits = ivf.search(query, 40, 32);      // (approximate score, id), best first
//
// search() may run on many threads at once; add() takes the lock alone.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <span>
#include <utility>
#include <vector>

namespace faiss {
struct IndexIVFPQ;
struct IndexFlatIP;
}  // namespace faiss

namespace clipkit::cluster {

struct IvfPqOptions {
  size_t nlist = 0;   // 0: about 4·√count, 1 to 65536
  size_t pq_m = 0;    // 0: dim / 8; must divide dim
  size_t max_train = 0;  // training sample; 0: 64·nlist, at most count
};

class IvfPq {
 public:
  // Trains on (a seeded sample of) `vectors` (count × dim) and adds them all.
  static std::unique_ptr<IvfPq> train(std::span<const float> vectors, std::span<const int64_t> ids, size_t dim,
                                      const IvfPqOptions& options);
  ~IvfPq();
  void add(std::span<const float> vectors, std::span<const int64_t> ids);
  std::vector<std::pair<float, int64_t>> search(std::span<const float> query, size_t k, size_t nprobe) const;
  size_t size() const;
  size_t nlist() const;
  size_t pq_m() const;

 private:
  IvfPq() = default;
  size_t dim_ = 0;
  std::unique_ptr<faiss::IndexFlatIP> quantizer_;
  std::unique_ptr<faiss::IndexIVFPQ> index_;
  mutable std::shared_mutex mutex_;
};

}  // namespace clipkit::cluster
