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
// check the blob size and that every value is finite, and widen to fp32. A row that
// fails the check is "damaged": reads throw Error(corrupt_data) naming its path and id,
// and the indexer re-embeds it (damaged_vectors()).
//
// Several processes may open one database at once, a new one included: the schema and
// the model are recorded in BEGIN IMMEDIATE transactions that re-check what another
// process may have written first, and SQLite's busy timeout makes the second wait.
// Not thread-safe (one SQLite connection).
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
  // Opens or creates; a new file gets the schema (once, whoever comes first). Throws
  // Error(corrupt_data) for a file that is not a clipkit database (another SQLite file,
  // or not SQLite at all).
  Store(const std::filesystem::path& path, bool create);

  Database& db() { return db_; }

  std::optional<std::string> meta(const std::string& key);
  void set_meta(const std::string& key, const std::string& value);

  std::optional<ModelIdentity> model();
  // 0 until a model is recorded (re-read from the database while 0: another process
  // may have recorded one since this Store opened).
  VectorType vector_type();
  int dim();
  // Records the model (and the vector type) in a database that has none, atomically;
  // returns the model the database records afterwards: `identity`, or the one another
  // process recorded first (whose dim and vector type this Store then uses).
  ModelIdentity adopt_model(const ModelIdentity& identity, VectorType type);

  int64_t generation();
  void bump_generation();  // call inside each write transaction that changes vectors

  std::vector<FileRecord> records();
  std::optional<FileRecord> record(int64_t id);
  std::optional<FileRecord> record_by_path(const std::string& path);
  // The stored vector, widened to fp32; nullopt when the row has none. Throws
  // Error(corrupt_data) naming the path and id when it is damaged.
  std::optional<std::vector<float>> vector(int64_t id);
  std::vector<uint8_t> vector_blob(int64_t id);  // raw stored bytes (empty if none)
  // ids and unit vectors (count × dim) of every file that has one, by id. Throws
  // Error(corrupt_data) at the first damaged row, naming it.
  void load_vectors(std::vector<int64_t>& ids, std::vector<std::string>& paths, std::vector<float>& vectors);
  size_t count_vectors();
  // Ids of the rows whose vector is damaged (wrong byte size for dim × element size,
  // or a value that is not finite). Reads every vector.
  std::vector<int64_t> damaged_vectors();

  std::vector<uint8_t> encode(std::span<const float> vector);
  // Insert or replace the row at `file.path`.
  void put(const FileRecord& file, std::span<const uint8_t> vector_blob);
  void move(int64_t id, const std::string& path, int64_t size, int64_t mtime_ns);
  void remove(int64_t id);

 private:
  void load_model_meta();  // dim_ and type_ from the meta table
  // Empty when `blob` is a valid vector, else what is wrong with it.
  std::string check(std::span<const uint8_t> blob) const;
  std::vector<float> decode(std::span<const uint8_t> blob, int64_t id, const std::string& path);
  Database db_;
  int dim_ = 0;
  VectorType type_ = VectorType::f32;
};

}  // namespace clipkit::search
