// clipkit/index.hpp — a searchable collection of image embeddings in one SQLite file.
//
//   auto clip = clipkit::Clip::load("ViT-B-32.pt");
//   auto index = clipkit::ImageIndex::open("photos.clipkit");
//   index->add(clip, {{"~/Pictures"}});                        // incremental
//   auto hits = index->search(clipkit::normalized(clip.embed_text("two dogs in the snow")));
//   for (const auto& hit : hits) std::cout << hit.path << " " << hit.score << "\n";
//
// The database (SQLite, WAL) holds one row per file: path, size, mtime, content hash,
// and either a unit-length embedding (fp32 or fp16) or the reason it could not be read.
// It records which model made its vectors (a fingerprint of the model's embeddings of a
// fixed text and image; with a separate text model, as M-CLIP's, the pair: the text
// model's text embedding and the image model's image embedding) and refuses to mix models. An HNSW graph (hnswlib) may be
// persisted beside it as `<db>.hnsw`; it is rebuilt whenever the vectors changed.
// Scores are cosine similarities (inner products of unit vectors), higher is closer.
//
// Thread-safety: one ImageIndex may be searched from many threads at once (search,
// vector, file, stats, duplicates are const and safe); add() and build_hnsw() must not
// run concurrently with anything else on the same object. Several processes may read
// one database while one writes it (SQLite WAL).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clipkit/clip.hpp"

namespace clipkit {

enum class VectorType { f32, f16 };
const char* to_string(VectorType type);

// What identifies the model that made a database's vectors.
struct ModelIdentity {
  std::string model_path;            // as loaded (absolute), for defaults and messages
  std::string text_model_path;       // ModelOptions::text_model (absolute), else empty
  std::string vocab_path;            // tokenizer used (may be empty)
  std::string description;           // "ViT (open_clip-safetensors, f32), 32-d"
  int dim = 0;
  std::vector<float> fingerprint;    // unit text probe embedding ++ unit image probe embedding
};
// Embeds the probe text and image with `clip`.
ModelIdentity identify(const Clip& clip);
// Whether two identities are the same model: same dimension, and both probe embeddings
// agree to cosine > 0.999 (the same weights on another CPU or precision still match).
bool same_model(const ModelIdentity& a, const ModelIdentity& b);
// The identity as JSON text, and back. to_json throws Error(invalid_argument) for a path
// that is not valid UTF-8; from_json Error(corrupt_data), naming `where`.
std::string to_json(const ModelIdentity& identity);
ModelIdentity model_identity_from_json(const std::string& text, const std::string& where);

struct SearchHit {
  int64_t id = 0;        // the file's row id in the database
  std::string path;
  float score = 0;       // cosine similarity
};

enum class SearchMethod { automatic, exact, hnsw };

struct SearchOptions {
  size_t k = 10;
  std::optional<float> threshold;  // drop hits scoring below this
  SearchMethod method = SearchMethod::automatic;  // automatic: HNSW when a fresh one
                                                  // exists and count >= hnsw_threshold
  size_t ef = 0;                   // HNSW search breadth; 0 = max(4k, 128)
  std::optional<int64_t> exclude;  // leave this id out (e.g. the query image itself)
};

struct IndexProgress {
  size_t total = 0;     // files to embed this run
  size_t done = 0;      // of those, handled (embedded or failed)
  size_t errors = 0;
  double seconds = 0;
};

struct IndexOptions {
  size_t batch = 32;                     // files per model call and per commit
  VectorType vector_type = VectorType::f32;  // for a new database only
  int decode_threads = 0;                // 0 = one per two cores, at least one
  std::function<void(const IndexProgress&)> progress;  // called after each batch
};

struct IndexReport {
  size_t scanned = 0;     // image files found under the roots
  size_t unchanged = 0;   // same size and mtime as recorded
  size_t embedded = 0;    // run through the model
  size_t renamed = 0;     // recognised by content hash at a new path: vector kept
  size_t reused = 0;      // content already indexed elsewhere or touched: vector copied
  size_t removed = 0;     // rows dropped: files gone from under the roots
  size_t errors = 0;      // files that could not be read this run
  size_t repaired = 0;    // rows whose stored vector was damaged (wrong size, not finite)
                          // that got a vector again (also counted in embedded/reused/renamed)
  std::vector<std::pair<std::string, std::string>> error_files;  // path, reason
  double seconds = 0;
};

struct IndexedFile {
  int64_t id = 0;
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string hash;    // hex SHA-256 of the content
  std::string error;   // empty when the file has a vector
};

struct IndexStats {
  size_t files = 0;
  size_t vectors = 0;
  size_t errors = 0;
  int dim = 0;                    // 0 until a model is recorded
  VectorType vector_type = VectorType::f32;
  std::optional<ModelIdentity> model;
  bool hnsw_fresh = false;        // a persisted HNSW graph matches the vectors
};

struct HnswOptions {
  size_t m = 32;
  size_t ef_construction = 200;
  int threads = 0;  // 0 = all cores
};

class ImageIndex {
 public:
  // Opens or creates the database. Throws Error: not_found (missing folder, or a
  // missing file with create=false), corrupt_data (not a clipkit database).
  static std::unique_ptr<ImageIndex> open(const std::filesystem::path& db_path, bool create = true);
  ~ImageIndex();

  const std::filesystem::path& path() const;

  // Checks `identity` against the recorded model; records it (with `type`, how vectors
  // are stored) in a database that has none. Throws Error(invalid_argument) naming both
  // models when they differ.
  void bind_model(const ModelIdentity& identity, VectorType type = VectorType::f32);

  // Walks `roots` (folders recursively; files as given), embeds new and changed images,
  // recognises moved/renamed/copied files by content hash, drops rows of files no
  // longer under the roots, and records unreadable files with the reason. Rows whose
  // stored vector is damaged are read and embedded again wherever they are (a file that
  // is gone becomes an error row). Commits every `batch` files. Calls
  // bind_model(identify(clip)) first. Several processes may index one database at once,
  // a new one included: each file ends up in one row.
  IndexReport add(const Clip& clip, std::span<const std::filesystem::path> roots, const IndexOptions& options = {});

  // query: a unit vector of the database's dimension. Exact search throws
  // Error(corrupt_data) naming the path and id of a damaged stored vector and saying to
  // run clipkit index (add()) to re-embed it; it never returns results that skip rows.
  std::vector<SearchHit> search(std::span<const float> query, const SearchOptions& options = {}) const;

  // The stored unit vector of a file; Error(not_found) when the id/path has none.
  std::vector<float> vector(int64_t id) const;
  std::optional<IndexedFile> file(int64_t id) const;
  std::optional<IndexedFile> find(const std::filesystem::path& path) const;  // by path (made absolute)
  std::vector<IndexedFile> files() const;
  IndexStats stats() const;

  // Groups (each ≥ 2 files, best-connected first) of images whose vectors have cosine
  // ≥ threshold with another member (single linkage). Exact.
  std::vector<std::vector<SearchHit>> duplicates(float threshold) const;

  // All vectors, row-major count × dim, with their ids in the same order.
  void all_vectors(std::vector<int64_t>& ids, std::vector<float>& vectors) const;

  // Records files whose vectors were made elsewhere (a cluster's workers) in one
  // transaction: files[i] with the unit vector vectors[i·dim, (i+1)·dim), or, when
  // files[i].error is set, as unreadable (its slot in `vectors` is not read). A row at
  // the same path is replaced in place (same id): putting a file twice is a no-op the
  // second time. Returns the row ids. The database must record a model (bind_model);
  // a vector that is not finite or not of its dimension is refused (invalid_argument)
  // before anything is written.
  std::vector<int64_t> put(std::span<const IndexedFile> files, std::span<const float> vectors);

  // Builds the HNSW graph over all vectors and saves it beside the database.
  void build_hnsw(const HnswOptions& options = {});

  // Collections at least this large use HNSW (when fresh) by default.
  static constexpr size_t kHnswThreshold = 50'000;

  struct Impl;

 private:
  explicit ImageIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipkit
