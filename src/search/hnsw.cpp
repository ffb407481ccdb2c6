#include "search/hnsw.hpp"

#include <algorithm>
#include <atomic>
#include <hnswlib/hnswlib.h>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "clipkit/error.hpp"

namespace clipkit::search {

struct HnswGraph::Impl {
  explicit Impl(size_t dim) : space(dim), dim(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph;
  size_t dim;
  // hnswlib keeps ef in the graph: searches share a lock, changing ef takes it alone.
  mutable std::shared_mutex ef_mutex;
};

HnswGraph::HnswGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HnswGraph::~HnswGraph() = default;

std::unique_ptr<HnswGraph> HnswGraph::build(std::span<const float> vectors, std::span<const int64_t> labels, size_t dim,
                                            const HnswOptions& options) {
  if (dim == 0 || vectors.size() != labels.size() * dim)
    throw Error(ErrorCode::invalid_argument, "HNSW build: " + std::to_string(vectors.size()) + " floats for " +
                                                 std::to_string(labels.size()) + " labels of dim " +
                                                 std::to_string(dim));
  if (options.m < 2 || options.m > 256 || options.ef_construction < 1)
    throw Error(ErrorCode::invalid_argument, "HNSW build: M must be in [2, 256] and ef_construction positive");
  auto impl = std::make_unique<Impl>(dim);
  const size_t n = labels.size();
  try {
    impl->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl->space, std::max<size_t>(n, 1), options.m,
                                                                    options.ef_construction, 100);
  } catch (const std::exception& e) {
    throw Error(ErrorCode::resource_exhausted, std::string("HNSW build: ") + e.what());
  }
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min<size_t>(n, options.threads > 0 ? static_cast<size_t>(options.threads) : hw);
  // The first point alone, then the rest in parallel (hnswlib locks per node).
  if (n > 0) impl->graph->addPoint(vectors.data(), static_cast<hnswlib::labeltype>(labels[0]));
  std::atomic<size_t> next{1};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;)
      impl->graph->addPoint(vectors.data() + i * dim, static_cast<hnswlib::labeltype>(labels[i]));
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return std::unique_ptr<HnswGraph>(new HnswGraph(std::move(impl)));
}

std::unique_ptr<HnswGraph> HnswGraph::load(const std::filesystem::path& path, size_t dim) {
  auto impl = std::make_unique<Impl>(dim);
  try {
    impl->graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(&impl->space, path.string());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corrupt_data, path.string() + ": cannot load the HNSW index: " + e.what());
  }
  if (impl->graph->data_size_ != dim * sizeof(float))
    throw Error(ErrorCode::corrupt_data, path.string() + ": HNSW vectors are " +
                                             std::to_string(impl->graph->data_size_ / sizeof(float)) +
                                             "-d, the database's are " + std::to_string(dim) + "-d");
  return std::unique_ptr<HnswGraph>(new HnswGraph(std::move(impl)));
}

void HnswGraph::save(const std::filesystem::path& path) const {
  try {
    impl_->graph->saveIndex(path.string());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::resource_exhausted, path.string() + ": cannot save the HNSW index: " + e.what());
  }
}

size_t HnswGraph::size() const { return impl_->graph->cur_element_count; }

size_t HnswGraph::memory_bytes() const {
  const auto& g = *impl_->graph;
  size_t bytes = g.max_elements_ * g.size_data_per_element_;
  for (size_t i = 0; i < g.cur_element_count; ++i)
    if (g.element_levels_[i] > 0) bytes += g.size_links_per_element_ * static_cast<size_t>(g.element_levels_[i]);
  return bytes + g.max_elements_ * (sizeof(void*) + sizeof(int) + sizeof(std::mutex)) +
         g.label_lookup_.size() * (sizeof(hnswlib::labeltype) + sizeof(hnswlib::tableint) + 16);
}

std::vector<std::pair<float, int64_t>> HnswGraph::search(std::span<const float> query, size_t k, size_t ef) const {
  if (query.size() != impl_->dim)
    throw Error(ErrorCode::invalid_argument, "HNSW search: a " + std::to_string(query.size()) +
                                                 "-d query for a " + std::to_string(impl_->dim) + "-d index");
  std::vector<std::pair<float, int64_t>> hits;
  if (k == 0 || size() == 0) return hits;
  ef = std::max(ef, k);
  std::priority_queue<std::pair<float, hnswlib::labeltype>> found;
  {
    std::shared_lock lock(impl_->ef_mutex);
    if (impl_->graph->ef_ == ef) {
      found = impl_->graph->searchKnn(query.data(), k);
    } else {
      lock.unlock();
      std::unique_lock exclusive(impl_->ef_mutex);
      impl_->graph->setEf(ef);
      found = impl_->graph->searchKnn(query.data(), k);
    }
  }
  // The queue pops the farthest first; inner-product distance is 1 - <a, b>.
  while (!found.empty()) {
    hits.emplace_back(1.0f - found.top().first, static_cast<int64_t>(found.top().second));
    found.pop();
  }
  std::reverse(hits.begin(), hits.end());
  return hits;
}

}  // namespace clipkit::search
