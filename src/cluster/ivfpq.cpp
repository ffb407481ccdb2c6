#include "cluster/ivfpq.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>
#include <random>

#include "clipkit/error.hpp"

namespace clipkit::cluster {

std::unique_ptr<IvfPq> IvfPq::train(std::span<const float> vectors, std::span<const int64_t> ids, size_t dim,
                                    const IvfPqOptions& options) {
  const size_t count = ids.size();
  if (dim == 0 || vectors.size() != count * dim)
    throw Error(ErrorCode::invalid_argument, "IVF-PQ: " + std::to_string(count) + " ids for " +
                                                 std::to_string(vectors.size()) + " values of dimension " + std::to_string(dim));
  size_t nlist = options.nlist ? options.nlist : static_cast<size_t>(4 * std::sqrt(static_cast<double>(count)));
  nlist = std::clamp<size_t>(nlist, 1, 65536);
  size_t m = options.pq_m ? options.pq_m : std::max<size_t>(1, dim / 8);
  if (dim % m != 0)
    throw Error(ErrorCode::invalid_argument, "IVF-PQ: " + std::to_string(m) + " sub-quantizers do not divide dimension " +
                                                 std::to_string(dim));
  const size_t want = options.max_train ? options.max_train : 64 * nlist;
  if (count < std::max<size_t>(nlist, 256))
    throw Error(ErrorCode::invalid_argument, "IVF-PQ: " + std::to_string(count) + " vectors are too few to train " +
                                                 std::to_string(nlist) + " lists and 256 codes per sub-quantizer");
  std::vector<float> sample;
  const float* train_x = vectors.data();
  size_t n_train = count;
  if (count > want) {  // a seeded sample, so that a rebuild gives the same index
    std::vector<size_t> rows(count);
    std::iota(rows.begin(), rows.end(), 0);
    std::mt19937_64 rng(20261202);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(want);
    std::sort(rows.begin(), rows.end());
    sample.resize(want * dim);
    for (size_t i = 0; i < want; ++i) std::copy_n(vectors.data() + rows[i] * dim, dim, sample.data() + i * dim);
    train_x = sample.data();
    n_train = want;
  }
  std::unique_ptr<IvfPq> ivf(new IvfPq());
  ivf->dim_ = dim;
  try {
    ivf->quantizer_ = std::make_unique<faiss::IndexFlatIP>(static_cast<faiss::Index::idx_t>(dim));
    ivf->index_ = std::make_unique<faiss::IndexIVFPQ>(ivf->quantizer_.get(), dim, nlist, m, 8, faiss::METRIC_INNER_PRODUCT);
    ivf->index_->cp.seed = 1234;
    ivf->index_->cp.spherical = true;  // unit vectors, inner product: unit centroids (spherical k-means)
    ivf->index_->pq.cp.seed = 1234;
    ivf->index_->train(static_cast<faiss::Index::idx_t>(n_train), train_x);
    ivf->index_->add_with_ids(static_cast<faiss::Index::idx_t>(count), vectors.data(), ids.data());
  } catch (const faiss::FaissException& e) {
    throw Error(ErrorCode::internal, std::string("IVF-PQ training: ") + e.what());
  }
  return ivf;
}

IvfPq::~IvfPq() { index_.reset(); }  // before the quantizer it points to

void IvfPq::add(std::span<const float> vectors, std::span<const int64_t> ids) {
  if (ids.empty()) return;
  if (vectors.size() != ids.size() * dim_) throw Error(ErrorCode::invalid_argument, "IVF-PQ add: sizes differ");
  std::unique_lock lock(mutex_);
  faiss::IDSelectorBatch replaced(static_cast<size_t>(ids.size()), ids.data());
  index_->remove_ids(replaced);
  index_->add_with_ids(static_cast<faiss::Index::idx_t>(ids.size()), vectors.data(), ids.data());
}

std::vector<std::pair<float, int64_t>> IvfPq::search(std::span<const float> query, size_t k, size_t nprobe) const {
  if (query.size() != dim_) throw Error(ErrorCode::invalid_argument, "IVF-PQ search: a query of the wrong dimension");
  std::vector<float> scores(k);
  std::vector<faiss::Index::idx_t> labels(k);
  faiss::SearchParametersIVF params;
  params.nprobe = std::max<size_t>(1, nprobe);
  {
    std::shared_lock lock(mutex_);
    index_->search(1, query.data(), static_cast<faiss::Index::idx_t>(k), scores.data(), labels.data(), &params);
  }
  std::vector<std::pair<float, int64_t>> hits;
  for (size_t i = 0; i < k; ++i)
    if (labels[i] >= 0) hits.emplace_back(scores[i], labels[i]);
  return hits;
}

size_t IvfPq::size() const {
  std::shared_lock lock(mutex_);
  return static_cast<size_t>(index_->ntotal);
}
size_t IvfPq::nlist() const { return index_->nlist; }
size_t IvfPq::pq_m() const { return index_->pq.M; }

}  // namespace clipkit::cluster
