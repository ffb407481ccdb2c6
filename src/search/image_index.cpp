// clipkit::ImageIndex — the public face of the search layer: a Store (SQLite), an
// in-memory snapshot of the vectors for exact search, and an optional HNSW graph.
#include "clipkit/index.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>
#include <numeric>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "clipkit/error.hpp"
#include "clipkit/similarity.hpp"
#include "kernels/blas.hpp"
#include "search/content_hash.hpp"
#include "search/exact.hpp"
#include "search/hnsw.hpp"
#include "search/indexer.hpp"
#include "search/store.hpp"

namespace clipkit {

namespace fs = std::filesystem;
using search::FileRecord;
using search::Store;

const char* to_string(VectorType type) { return type == VectorType::f16 ? "f16" : "f32"; }

namespace {

constexpr const char* kProbeText = "a photo of a dog playing in the snow.";

// A fixed 64×64 RGB pattern: gradients and a checker, so every channel matters.
Image probe_image() {
  Image image;
  image.width = image.height = 64;
  image.mode = PixelMode::rgb;
  image.pixels.resize(64 * 64 * 3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = &image.pixels[static_cast<size_t>((y * 64 + x) * 3)];
      p[0] = static_cast<uint8_t>(x * 4);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = ((x / 8 + y / 8) % 2) ? 220 : 30;
    }
  return image;
}

IndexedFile to_public(const FileRecord& r) { return {r.id, r.path, r.size, r.mtime_ns, r.hash, r.error}; }

fs::path hnsw_path(const fs::path& db) { return fs::path(db.string() + ".hnsw"); }

std::vector<uint8_t> read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ModelIdentity identify(const Clip& clip) {
  ModelIdentity id;
  const ModelInfo& info = clip.model().info();
  std::error_code ec;
  id.model_path = info.path.empty() ? std::string() : fs::absolute(info.path, ec).lexically_normal().string();
  if (!info.text_model_path.empty())
    id.text_model_path = fs::absolute(info.text_model_path, ec).lexically_normal().string();
  if (!clip.options().vocab.empty())
    id.vocab_path = fs::absolute(clip.options().vocab, ec).lexically_normal().string();
  else if (info.vocab_path)
    id.vocab_path = fs::absolute(*info.vocab_path, ec).lexically_normal().string();
  id.dim = clip.model().embed_dim();
  id.description = info.architecture + " (" + info.format + ", " + info.dtype + ", " +
                   to_string(info.config.activation) + "), " + std::to_string(id.dim) + "-d";
  if (!info.text_model_path.empty()) id.description += ", texts by " + info.text_architecture;
  id.fingerprint = normalized(clip.embed_text(kProbeText));
  auto image = normalized(clip.embed_image(probe_image()));
  id.fingerprint.insert(id.fingerprint.end(), image.begin(), image.end());
  return id;
}

struct ImageIndex::Impl {
  struct Snapshot {
    int64_t generation = -1;
    std::vector<int64_t> ids;
    std::vector<std::string> paths;
    std::vector<float> vectors;
    std::unordered_map<int64_t, size_t> row_of;
  };

  fs::path path;
  mutable std::mutex db_mutex;  // guards store (one SQLite connection)
  std::unique_ptr<Store> store;
  mutable std::mutex cache_mutex;  // guards snapshot and hnsw pointers
  mutable std::shared_ptr<const Snapshot> snapshot;
  mutable std::shared_ptr<const search::HnswGraph> hnsw;
  mutable int64_t hnsw_generation = -1;

  std::shared_ptr<const Snapshot> vectors() const {
    std::lock_guard cache(cache_mutex);
    std::lock_guard db(db_mutex);
    const int64_t generation = store->generation();
    if (snapshot && snapshot->generation == generation) return snapshot;
    auto s = std::make_shared<Snapshot>();
    s->generation = generation;
    store->load_vectors(s->ids, s->paths, s->vectors);
    for (size_t i = 0; i < s->ids.size(); ++i) s->row_of.emplace(s->ids[i], i);
    snapshot = s;
    return snapshot;
  }

  // The recorded HNSW bookkeeping, when it matches the current vectors.
  std::optional<nlohmann::json> fresh_hnsw_meta() const {
    auto text = store->meta("hnsw");
    if (!text) return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("generation") || !j.contains("sha256")) return std::nullopt;
    if (j["generation"] != store->generation()) return std::nullopt;
    std::error_code ec;
    if (!fs::exists(hnsw_path(path), ec)) return std::nullopt;
    return j;
  }

  std::shared_ptr<const search::HnswGraph> graph() const {
    std::lock_guard cache(cache_mutex);
    std::lock_guard db(db_mutex);
    const int64_t generation = store->generation();
    if (hnsw && hnsw_generation == generation) return hnsw;
    auto meta = fresh_hnsw_meta();
    if (!meta) return nullptr;
    // hnswlib trusts its file: check it is the one we wrote before handing it over.
    const fs::path file = hnsw_path(path);
    if (search::sha256_hex(read_all(file)) != (*meta)["sha256"].get<std::string>())
      throw Error(ErrorCode::corrupt_data, file.string() + ": the HNSW index does not match its recorded checksum; "
                                                           "rebuild it with clipkit index --hnsw");
    hnsw = search::HnswGraph::load(file, static_cast<size_t>(store->dim()));
    hnsw_generation = generation;
    return hnsw;
  }
};

ImageIndex::ImageIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ImageIndex::~ImageIndex() = default;

std::unique_ptr<ImageIndex> ImageIndex::open(const fs::path& db_path, bool create) {
  std::error_code ec;
  if (!create && !fs::exists(db_path, ec))
    throw Error(ErrorCode::not_found, db_path.string() + ": no such index (create it with clipkit index)");
  if (fs::is_directory(db_path, ec))
    throw Error(ErrorCode::invalid_argument, db_path.string() + ": a folder, not an index file");
  const fs::path parent = fs::absolute(db_path, ec).parent_path();
  if (!fs::is_directory(parent, ec)) throw Error(ErrorCode::not_found, parent.string() + ": no such folder");
  auto impl = std::make_unique<Impl>();
  impl->path = db_path;
  impl->store = std::make_unique<Store>(db_path, create);
  return std::unique_ptr<ImageIndex>(new ImageIndex(std::move(impl)));
}

const fs::path& ImageIndex::path() const { return impl_->path; }

namespace {

double cosine_part(const std::vector<float>& a, const std::vector<float>& b, size_t begin, size_t end) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = begin; i < end; ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0;
}

}  // namespace

bool same_model(const ModelIdentity& a, const ModelIdentity& b) {
  const size_t half = static_cast<size_t>(std::max(a.dim, 0));
  return a.dim == b.dim && a.fingerprint.size() == 2 * half && b.fingerprint.size() == 2 * half &&
         cosine_part(a.fingerprint, b.fingerprint, 0, half) > 0.999 &&
         cosine_part(a.fingerprint, b.fingerprint, half, 2 * half) > 0.999;
}

void ImageIndex::bind_model(const ModelIdentity& identity, VectorType type) {
  std::lock_guard db(impl_->db_mutex);
  const ModelIdentity recorded = impl_->store->adopt_model(identity, type);
  if (!same_model(recorded, identity))
    throw Error(ErrorCode::invalid_argument,
                impl_->path.string() + ": indexed with another model (" + recorded.model_path +
                    (recorded.text_model_path.empty() ? "" : " + text model " + recorded.text_model_path) + ", " +
                    recorded.description + "); this one is " + identity.model_path +
                    (identity.text_model_path.empty() ? "" : " + text model " + identity.text_model_path) + ", " +
                    identity.description + ". Use --model " + recorded.model_path +
                    (recorded.text_model_path.empty() ? "" : " --text-model " + recorded.text_model_path) +
                    " or a new --db");
}

IndexReport ImageIndex::add(const Clip& clip, std::span<const fs::path> roots, const IndexOptions& options) {
  bind_model(identify(clip), options.vector_type);
  IndexReport report;
  {
    std::lock_guard db(impl_->db_mutex);
    report = search::index_files(*impl_->store, clip, roots, options);
  }
  return report;
}

std::vector<SearchHit> ImageIndex::search(std::span<const float> query, const SearchOptions& options) const {
  int dim;
  {
    std::lock_guard db(impl_->db_mutex);
    dim = impl_->store->dim();
  }
  if (dim == 0) return {};  // nothing indexed yet
  if (query.size() != static_cast<size_t>(dim))
    throw Error(ErrorCode::invalid_argument, "a " + std::to_string(query.size()) + "-d query for " +
                                                 impl_->path.string() + ", whose vectors are " +
                                                 std::to_string(dim) + "-d");
  std::vector<SearchHit> hits;
  bool use_hnsw = options.method == SearchMethod::hnsw;
  std::shared_ptr<const search::HnswGraph> graph;
  if (options.method != SearchMethod::exact) {
    graph = impl_->graph();
    if (options.method == SearchMethod::hnsw && !graph)
      throw Error(ErrorCode::not_found, impl_->path.string() +
                                            ": no up-to-date HNSW index beside it; build one with clipkit index --hnsw");
    if (options.method == SearchMethod::automatic) use_hnsw = graph && graph->size() >= kHnswThreshold;
  }
  if (use_hnsw) {
    const size_t extra = options.exclude ? 1 : 0;
    const size_t ef = options.ef ? options.ef : std::max<size_t>(4 * options.k, 128);
    auto found = graph->search(query, options.k + extra, ef);
    std::lock_guard db(impl_->db_mutex);
    for (const auto& [score, id] : found) {
      if (options.exclude && *options.exclude == id) continue;
      if (options.threshold && !(score >= *options.threshold)) continue;
      if (hits.size() == options.k) break;
      auto rec = impl_->store->record(id);
      if (rec) hits.push_back({id, rec->path, score});
    }
    return hits;
  }
  auto snap = impl_->vectors();
  std::vector<float> scores(snap->ids.size());
  search::inner_products(snap->vectors, static_cast<size_t>(dim), query, scores);
  std::optional<size_t> exclude_row;
  if (options.exclude)
    if (auto it = snap->row_of.find(*options.exclude); it != snap->row_of.end()) exclude_row = it->second;
  for (const auto& [score, row] : search::top_k(scores, options.k, options.threshold, exclude_row))
    hits.push_back({snap->ids[row], snap->paths[row], score});
  return hits;
}

std::vector<int64_t> ImageIndex::put(std::span<const IndexedFile> files, std::span<const float> vectors) {
  std::lock_guard db(impl_->db_mutex);
  Store& store = *impl_->store;
  const size_t dim = static_cast<size_t>(store.dim());
  if (dim == 0) throw Error(ErrorCode::invalid_argument, impl_->path.string() + ": no model recorded yet (bind_model first)");
  if (vectors.size() != files.size() * dim)
    throw Error(ErrorCode::invalid_argument, impl_->path.string() + ": " + std::to_string(files.size()) + " files need " +
                                                 std::to_string(files.size() * dim) + " vector values, not " +
                                                 std::to_string(vectors.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    if (!files[i].error.empty()) continue;
    const float* v = vectors.data() + i * dim;
    if (!std::all_of(v, v + dim, [](float x) { return std::isfinite(x); }))
      throw Error(ErrorCode::invalid_argument, files[i].path + ": a vector with a value that is not finite");
  }
  std::vector<int64_t> ids;
  search::Transaction tx(store.db());
  for (size_t i = 0; i < files.size(); ++i) {
    const IndexedFile& f = files[i];
    FileRecord rec{0, f.path, f.size, f.mtime_ns, f.hash, f.error, false};
    if (f.error.empty())
      store.put(rec, store.encode(vectors.subspan(i * dim, dim)));
    else
      store.put(rec, {});
    auto stored = store.record_by_path(f.path);
    ids.push_back(stored ? stored->id : 0);
  }
  store.bump_generation();
  tx.commit();
  return ids;
}

std::vector<float> ImageIndex::vector(int64_t id) const {
  std::lock_guard db(impl_->db_mutex);
  auto v = impl_->store->vector(id);
  if (!v) throw Error(ErrorCode::not_found, impl_->path.string() + ": no indexed image with id " + std::to_string(id));
  return *v;
}

std::optional<IndexedFile> ImageIndex::file(int64_t id) const {
  std::lock_guard db(impl_->db_mutex);
  auto r = impl_->store->record(id);
  if (!r) return std::nullopt;
  return to_public(*r);
}

std::optional<IndexedFile> ImageIndex::find(const fs::path& path) const {
  std::lock_guard db(impl_->db_mutex);
  auto r = impl_->store->record_by_path(search::storage_path(path));
  if (!r) return std::nullopt;
  return to_public(*r);
}

std::vector<IndexedFile> ImageIndex::files() const {
  std::lock_guard db(impl_->db_mutex);
  std::vector<IndexedFile> out;
  for (const auto& r : impl_->store->records()) out.push_back(to_public(r));
  return out;
}

IndexStats ImageIndex::stats() const {
  std::lock_guard db(impl_->db_mutex);
  IndexStats s;
  Store& store = *impl_->store;
  search::Statement q(store.db(), "SELECT COUNT(*), COUNT(vector), COUNT(error) FROM files");
  q.step();
  s.files = static_cast<size_t>(q.integer(0));
  s.vectors = static_cast<size_t>(q.integer(1));
  s.errors = static_cast<size_t>(q.integer(2));
  s.dim = store.dim();
  s.vector_type = store.vector_type();
  s.model = store.model();
  s.hnsw_fresh = impl_->fresh_hnsw_meta().has_value();
  return s;
}

void ImageIndex::all_vectors(std::vector<int64_t>& ids, std::vector<float>& vectors) const {
  auto snap = impl_->vectors();
  ids = snap->ids;
  vectors = snap->vectors;
}

std::vector<std::vector<SearchHit>> ImageIndex::duplicates(float threshold) const {
  auto snap = impl_->vectors();
  const size_t n = snap->ids.size();
  if (n < 2) return {};
  const size_t dim = snap->vectors.size() / n;
  std::vector<size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto root = [&](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  std::vector<float> best(n, -2.0f);  // each image's closest match within its group
  // Blocks of rows against all later rows: one sgemm per block, memory bounded.
  constexpr size_t kBlock = 512;
  std::vector<float> scores;
  for (size_t begin = 0; begin < n; begin += kBlock) {
    const size_t rows = std::min(kBlock, n - begin);
    const size_t cols = n - begin;
    scores.assign(rows * cols, 0.0f);
    const float* block = snap->vectors.data() + begin * dim;
    kernels::matmul_nt(block, dim, block, dim, scores.data(), cols, rows, cols, dim);
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = r + 1; c < cols; ++c) {
        const float s = scores[r * cols + c];
        if (!(s >= threshold)) continue;
        const size_t a = begin + r, b = begin + c;
        best[a] = std::max(best[a], s);
        best[b] = std::max(best[b], s);
        parent[root(a)] = root(b);
      }
  }
  std::unordered_map<size_t, std::vector<SearchHit>> groups;
  for (size_t i = 0; i < n; ++i)
    if (best[i] > -2.0f) groups[root(i)].push_back({snap->ids[i], snap->paths[i], best[i]});
  std::vector<std::vector<SearchHit>> out;
  for (auto& [r, members] : groups) {
    std::sort(members.begin(), members.end(), [](const SearchHit& a, const SearchHit& b) { return a.path < b.path; });
    out.push_back(std::move(members));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.size() != b.size() ? a.size() > b.size() : a.front().path < b.front().path;
  });
  return out;
}

void ImageIndex::build_hnsw(const HnswOptions& options) {
  auto snap = impl_->vectors();
  const size_t dim = snap->ids.empty() ? 1 : snap->vectors.size() / snap->ids.size();
  auto graph = search::HnswGraph::build(snap->vectors, snap->ids, dim, options);
  const fs::path file = hnsw_path(impl_->path), temp = fs::path(file.string() + ".tmp");
  graph->save(temp);
  const std::string hash = search::sha256_hex(read_all(temp));
  std::error_code ec;
  fs::rename(temp, file, ec);
  if (ec) throw Error(ErrorCode::resource_exhausted, file.string() + ": cannot write (" + ec.message() + ")");
  std::lock_guard cache(impl_->cache_mutex);
  std::lock_guard db(impl_->db_mutex);
  nlohmann::json meta = {{"generation", snap->generation}, {"sha256", hash}, {"m", options.m},
                         {"ef_construction", options.ef_construction}, {"count", snap->ids.size()}};
  impl_->store->set_meta("hnsw", meta.dump());
  impl_->hnsw = std::move(graph);
  impl_->hnsw_generation = snap->generation;
}

}  // namespace clipkit
