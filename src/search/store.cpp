#include "search/store.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "search/half.hpp"

namespace clipkit::search {

namespace {

constexpr const char* kFormat = "clipkit-image-index";
constexpr const char* kSchemaVersion = "1";

// What the tables of a database say it is.
enum class Kind { empty, clipkit, other };

Kind kind_of(Database& db) {
  Statement tables(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
  bool has_meta = false, has_other = false;
  while (tables.step()) (tables.text(0) == "meta" ? has_meta : has_other) = true;
  return has_meta ? Kind::clipkit : has_other ? Kind::other : Kind::empty;
}

}  // namespace

Store::Store(const std::filesystem::path& path, bool create) : db_(path, create) {
  Kind kind = kind_of(db_);
  if (kind == Kind::empty) {
    // Another process may be creating the schema right now: BEGIN IMMEDIATE waits for
    // it (busy timeout), and the re-check inside sees what it wrote.
    Transaction tx(db_);
    kind = kind_of(db_);
    if (kind == Kind::empty) {
      db_.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      db_.exec(
          "CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, "
          "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL, error TEXT, vector BLOB, "
          "CHECK ((error IS NULL) <> (vector IS NULL)))");
      db_.exec("CREATE INDEX IF NOT EXISTS files_hash ON files (hash)");
      set_meta("format", kFormat);
      set_meta("schema", kSchemaVersion);
      set_meta("generation", "0");
      kind = Kind::clipkit;
    }
    tx.commit();
  }
  if (kind == Kind::other)
    throw Error(ErrorCode::corrupt_data, path.string() + ": an SQLite database but not a clipkit index");
  if (meta("format") != std::optional<std::string>(kFormat))
    throw Error(ErrorCode::corrupt_data, path.string() + ": not a clipkit index (its meta table has no format " +
                                             kFormat + ")");
  if (auto schema = meta("schema"); schema != std::optional<std::string>(kSchemaVersion))
    throw Error(ErrorCode::unsupported, path.string() + ": index schema " + schema.value_or("?") +
                                            ", this clipkit reads schema " + kSchemaVersion);
  load_model_meta();
}

void Store::load_model_meta() {
  auto d = meta("dim");
  if (!d) return;
  int dim = 0;
  try {
    dim = std::stoi(*d);
  } catch (const std::exception&) {
    dim = 0;
  }
  if (dim <= 0 || dim > 65536) throw Error(ErrorCode::corrupt_data, db_.path().string() + ": bad dim '" + *d + "'");
  dim_ = dim;
  type_ = meta("vector_type") == std::optional<std::string>("f16") ? VectorType::f16 : VectorType::f32;
}

std::optional<std::string> Store::meta(const std::string& key) {
  Statement q(db_, "SELECT value FROM meta WHERE key = ?");
  q.bind(1, key);
  if (q.step()) return q.text(0);
  return std::nullopt;
}

void Store::set_meta(const std::string& key, const std::string& value) {
  Statement q(db_, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  q.bind(1, key).bind(2, value).run();
}

std::optional<ModelIdentity> Store::model() {
  auto text = meta("model");
  if (!text) return std::nullopt;
  return model_identity_from_json(*text, db_.path().string() + ": the recorded model");
}

VectorType Store::vector_type() {
  if (dim_ == 0) load_model_meta();
  return type_;
}

int Store::dim() {
  if (dim_ == 0) load_model_meta();
  return dim_;
}

ModelIdentity Store::adopt_model(const ModelIdentity& m, VectorType type) {
  std::optional<ModelIdentity> recorded = model();
  if (recorded) {  // the common case, and readers need no write lock
    load_model_meta();
    return *recorded;
  }
  // Check again and record in one write transaction: two indexers starting on a new
  // database agree on one model, and the second uses the first's dim and vector type.
  Transaction tx(db_);
  recorded = model();
  if (!recorded) {
    const std::string text = to_json(m);
    set_meta("model", text);
    set_meta("dim", std::to_string(m.dim));
    set_meta("vector_type", to_string(type));
  }
  tx.commit();
  load_model_meta();
  return recorded ? *recorded : m;
}

}  // namespace clipkit::search

namespace clipkit {

std::string to_json(const ModelIdentity& m) {
  nlohmann::json j = {{"model_path", m.model_path},
                      {"text_model_path", m.text_model_path},
                      {"vocab_path", m.vocab_path},
                      {"description", m.description},
                      {"dim", m.dim},
                      {"fingerprint", m.fingerprint}};
  try {
    return j.dump();
  } catch (const nlohmann::json::type_error&) {
    // The record is JSON text; a lossy path would send later runs to the wrong file.
    throw Error(ErrorCode::invalid_argument, "the model path " + m.model_path + " or its vocabulary " + m.vocab_path +
                                                 " is not valid UTF-8, which the index cannot record; move or "
                                                 "link them to a UTF-8 path");
  }
}

ModelIdentity model_identity_from_json(const std::string& text, const std::string& where) {
  try {
    auto j = nlohmann::json::parse(text);
    ModelIdentity m;
    m.model_path = j.at("model_path").get<std::string>();
    m.vocab_path = j.at("vocab_path").get<std::string>();
    m.text_model_path = j.value("text_model_path", std::string());  // absent before text models
    m.description = j.at("description").get<std::string>();
    m.dim = j.at("dim").get<int>();
    m.fingerprint = j.at("fingerprint").get<std::vector<float>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_data, where + " does not parse: " + e.what());
  }
}

}  // namespace clipkit

namespace clipkit::search {

int64_t Store::generation() {
  auto g = meta("generation");
  try {
    return g ? std::stoll(*g) : 0;
  } catch (const std::exception&) {
    throw Error(ErrorCode::corrupt_data, db_.path().string() + ": bad generation '" + *g + "'");
  }
}

void Store::bump_generation() { db_.exec("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'"); }

namespace {

constexpr const char* kColumns = "id, path, size, mtime_ns, hash, error, vector IS NOT NULL";

FileRecord read_record(const Statement& q) {
  return {q.integer(0), q.text(1), q.integer(2), q.integer(3), q.text(4), q.text(5), q.integer(6) != 0};
}

}  // namespace

std::vector<FileRecord> Store::records() {
  Statement q(db_, std::string("SELECT ") + kColumns + " FROM files ORDER BY id");
  std::vector<FileRecord> out;
  while (q.step()) out.push_back(read_record(q));
  return out;
}

std::optional<FileRecord> Store::record(int64_t id) {
  Statement q(db_, std::string("SELECT ") + kColumns + " FROM files WHERE id = ?");
  q.bind(1, id);
  if (q.step()) return read_record(q);
  return std::nullopt;
}

std::optional<FileRecord> Store::record_by_path(const std::string& path) {
  Statement q(db_, std::string("SELECT ") + kColumns + " FROM files WHERE path = ?");
  q.bind(1, path);
  if (q.step()) return read_record(q);
  return std::nullopt;
}

std::string Store::check(std::span<const uint8_t> blob) const {
  const size_t width = type_ == VectorType::f16 ? 2 : 4;
  if (dim_ <= 0 || blob.size() != static_cast<size_t>(dim_) * width)
    return std::to_string(blob.size()) + " bytes, expected " + std::to_string(dim_) + " × " + std::to_string(width);
  // Not finite: all exponent bits set (inf or NaN), in either format.
  for (size_t i = 0; i < static_cast<size_t>(dim_); ++i) {
    bool finite;
    if (type_ == VectorType::f32) {
      uint32_t bits;
      std::memcpy(&bits, blob.data() + 4 * i, 4);
      finite = (bits & 0x7f800000u) != 0x7f800000u;
    } else {
      uint16_t bits;
      std::memcpy(&bits, blob.data() + 2 * i, 2);
      finite = (bits & 0x7c00u) != 0x7c00u;
    }
    if (!finite) return "value " + std::to_string(i) + " is not finite";
  }
  return {};
}

std::vector<float> Store::decode(std::span<const uint8_t> blob, int64_t id, const std::string& path) {
  if (std::string problem = check(blob); !problem.empty())
    throw Error(ErrorCode::corrupt_data, db_.path().string() + ": the stored vector of " + path + " (id " +
                                             std::to_string(id) + ") is damaged (" + problem +
                                             "); run clipkit index on this database to re-embed it");
  std::vector<float> v(static_cast<size_t>(dim_));
  if (type_ == VectorType::f32) {
    std::memcpy(v.data(), blob.data(), blob.size());
  } else {
    for (size_t i = 0; i < v.size(); ++i) {
      uint16_t h;
      std::memcpy(&h, blob.data() + 2 * i, 2);
      v[i] = half_to_float(h);
    }
  }
  return v;
}

std::vector<uint8_t> Store::encode(std::span<const float> vector) {
  if (static_cast<int>(vector.size()) != dim_)
    throw Error(ErrorCode::internal, "a " + std::to_string(vector.size()) + "-d vector for a " +
                                         std::to_string(dim_) + "-d index");
  std::vector<uint8_t> blob(vector.size() * (type_ == VectorType::f16 ? 2 : 4));
  if (type_ == VectorType::f32) {
    std::memcpy(blob.data(), vector.data(), blob.size());
  } else {
    for (size_t i = 0; i < vector.size(); ++i) {
      const uint16_t h = float_to_half(vector[i]);
      std::memcpy(blob.data() + 2 * i, &h, 2);
    }
  }
  return blob;
}

std::optional<std::vector<float>> Store::vector(int64_t id) {
  dim();  // another process may have recorded the model since this Store opened
  Statement q(db_, "SELECT vector, path FROM files WHERE id = ? AND vector IS NOT NULL");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return decode(q.blob(0), id, q.text(1));
}

std::vector<uint8_t> Store::vector_blob(int64_t id) {
  Statement q(db_, "SELECT vector FROM files WHERE id = ? AND vector IS NOT NULL");
  q.bind(1, id);
  if (!q.step()) return {};
  auto b = q.blob(0);
  return {b.begin(), b.end()};
}

void Store::load_vectors(std::vector<int64_t>& ids, std::vector<std::string>& paths, std::vector<float>& vectors) {
  ids.clear();
  paths.clear();
  vectors.clear();
  dim();
  const size_t n = count_vectors();
  ids.reserve(n);
  paths.reserve(n);
  vectors.reserve(n * static_cast<size_t>(std::max(dim_, 0)));
  Statement q(db_, "SELECT id, path, vector FROM files WHERE vector IS NOT NULL ORDER BY id");
  while (q.step()) {
    ids.push_back(q.integer(0));
    paths.push_back(q.text(1));
    auto v = decode(q.blob(2), ids.back(), paths.back());
    vectors.insert(vectors.end(), v.begin(), v.end());
  }
}

std::vector<int64_t> Store::damaged_vectors() {
  std::vector<int64_t> out;
  if (dim() == 0) return out;
  Statement q(db_, "SELECT id, vector FROM files WHERE vector IS NOT NULL ORDER BY id");
  while (q.step())
    if (!check(q.blob(1)).empty()) out.push_back(q.integer(0));
  return out;
}

size_t Store::count_vectors() {
  Statement q(db_, "SELECT COUNT(*) FROM files WHERE vector IS NOT NULL");
  q.step();
  return static_cast<size_t>(q.integer(0));
}

void Store::put(const FileRecord& f, std::span<const uint8_t> vector_blob) {
  Statement q(db_,
              "INSERT INTO files (path, size, mtime_ns, hash, error, vector) VALUES (?, ?, ?, ?, ?, ?) "
              "ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
              "hash = excluded.hash, error = excluded.error, vector = excluded.vector");
  q.bind(1, f.path).bind(2, f.size).bind(3, f.mtime_ns).bind(4, f.hash);
  if (vector_blob.empty()) {
    q.bind(5, f.error.empty() ? std::string("unknown error") : f.error).bind_null(6);
  } else {
    q.bind_null(5).bind_blob(6, vector_blob);
  }
  q.run();
}

void Store::move(int64_t id, const std::string& path, int64_t size, int64_t mtime_ns) {
  Statement q(db_, "UPDATE files SET path = ?, size = ?, mtime_ns = ? WHERE id = ?");
  q.bind(1, path).bind(2, size).bind(3, mtime_ns).bind(4, id).run();
}

void Store::remove(int64_t id) {
  Statement q(db_, "DELETE FROM files WHERE id = ?");
  q.bind(1, id).run();
}

}  // namespace clipkit::search
