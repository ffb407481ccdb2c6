// search/store.hpp — the clipkit database schema on SQLite: a `meta` table (format,
// model identity, vector type, generation counter, HNSW bookkeeping) and a `files`
// table with one row per file holding either a unit vector or an error.
//
//   Store store("photos.clipkit", true);
//   Transaction tx(store.db());
//   store.put_vector(file, vector);
//   store.bump_generation();
//   tx.commit();
//
// Vectors are stored as little-endian fp32 or fp16 blobs of `dim` values; reads
// check the blob size and widen to fp32. Not thread-safe (one SQLite connection).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "clipkit/index.hpp"
#include "search/sqlite.hpp"

namespace clipkit::search {

struct FileRecord {
  int64_t id = 0;
  std::string path;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string hash;
  std::string error;      // empty when has_vector
  bool has_vector = false;
};

class Store {
 public:
  // Opens or creates; a new file gets the schema. Throws Error(corrupt_data) for a file
  // that is not a clipkit database (another SQLite file, or not SQLite at all).
  Store(const std::filesystem::path& path, bool create);

  Database& db() { return db_; }

  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);

  std::optional<ModelIdentity> model();
  VectorType vector_type();
  int dim();
  // Records the model (and the vector type) in a database that has none.
  void set_model(const ModelIdentity& identity, VectorType type);

  int64_t generation();
  void bump_generation();  // call inside each write transaction that changes vectors

  std::vector<FileRecord> records();
  std::optional<FileRecord> record(int64_t id);
  std::optional<FileRecord> record_by_path(const std::string& path);
  std::optional<std::vector<float>> vector(int64_t id);
  std::vector<uint8_t> vector_blob(int64_t id);  // raw stored bytes (empty if none)
  // ids and unit vectors (count × dim) of every file that has one, by id.
  void load_vectors(std::vector<int64_t>& ids, std::vector<std::string>& paths, std::vector<float>& vectors);
  size_t count_vectors();

  std::vector<uint8_t> encode(std::span<const float> vector);
  // Insert or replace the row at `file.path`.
  void put(const FileRecord& file, std::span<const uint8_t> vector_blob);
  void move(int64_t id, const std::string& path, int64_t size, int64_t mtime_ns);
  void remove(int64_t id);

 private:
  std::vector<float> decode(std::span<const uint8_t> blob, int64_t id);
  Database db_;
  int dim_ = 0;
  VectorType type_ = VectorType::f32;
};

}  // namespace clipkit::search
