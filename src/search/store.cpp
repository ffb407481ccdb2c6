#include "search/store.hpp"

#include <cstring>
#include <nlohmann/json.hpp>

#include "clipkit/error.hpp"
#include "search/half.hpp"

namespace clipkit::search {

namespace {

constexpr const char* kFormat = "clipkit-image-index";
constexpr const char* kSchemaVersion = "1";

}  // namespace

Store::Store(const std::filesystem::path& path, bool create) : db_(path, create) {
  Statement tables(db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
  bool has_meta = false, has_other = false;
  while (tables.step()) (tables.text(0) == "meta" ? has_meta : has_other) = true;
  if (!has_meta && has_other)
    throw Error(ErrorCode::corrupt_data, path.string() + ": an SQLite database but not a clipkit index");
  if (!has_meta) {
    Transaction tx(db_);
    db_.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    db_.exec(
        "CREATE TABLE files (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, "
        "mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL, error TEXT, vector BLOB, "
        "CHECK ((error IS NULL) <> (vector IS NULL)))");
    db_.exec("CREATE INDEX files_hash ON files (hash)");
    set_meta("format", kFormat);
    set_meta("schema", kSchemaVersion);
    set_meta("generation", "0");
    tx.commit();
  }
  if (meta("format") != std::optional<std::string>(kFormat))
    throw Error(ErrorCode::corrupt_data, path.string() + ": not a clipkit index (its meta table has no format " +
                                             kFormat + ")");
  if (auto schema = meta("schema"); schema != std::optional<std::string>(kSchemaVersion))
    throw Error(ErrorCode::unsupported, path.string() + ": index schema " + schema.value_or("?") +
                                            ", this clipkit reads schema " + kSchemaVersion);
  if (auto d = meta("dim")) {
    try {
      dim_ = std::stoi(*d);
    } catch (const std::exception&) {
      dim_ = 0;
    }
    if (dim_ <= 0 || dim_ > 65536) throw Error(ErrorCode::corrupt_data, path.string() + ": bad dim '" + *d + "'");
    type_ = meta("vector_type") == std::optional<std::string>("f16") ? VectorType::f16 : VectorType::f32;
  }
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
  try {
    auto j = nlohmann::json::parse(*text);
    ModelIdentity m;
    m.model_path = j.at("model_path").get<std::string>();
    m.vocab_path = j.at("vocab_path").get<std::string>();
    m.description = j.at("description").get<std::string>();
    m.dim = j.at("dim").get<int>();
    m.fingerprint = j.at("fingerprint").get<std::vector<float>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::corrupt_data, db_.path().string() + ": the recorded model does not parse: " + e.what());
  }
}

VectorType Store::vector_type() { return type_; }
int Store::dim() { return dim_; }

void Store::set_model(const ModelIdentity& m, VectorType type) {
  nlohmann::json j = {{"model_path", m.model_path},
                      {"vocab_path", m.vocab_path},
                      {"description", m.description},
                      {"dim", m.dim},
                      {"fingerprint", m.fingerprint}};
  Transaction tx(db_);
  set_meta("model", j.dump());
  set_meta("dim", std::to_string(m.dim));
  set_meta("vector_type", to_string(type));
  tx.commit();
  dim_ = m.dim;
  type_ = type;
}

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

std::vector<float> Store::decode(std::span<const uint8_t> blob, int64_t id) {
  const size_t width = type_ == VectorType::f16 ? 2 : 4;
  if (dim_ <= 0 || blob.size() != static_cast<size_t>(dim_) * width)
    throw Error(ErrorCode::corrupt_data, db_.path().string() + ": file id " + std::to_string(id) + " has a " +
                                             std::to_string(blob.size()) + "-byte vector, expected " +
                                             std::to_string(dim_) + " × " + std::to_string(width));
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
  Statement q(db_, "SELECT vector FROM files WHERE id = ? AND vector IS NOT NULL");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return decode(q.blob(0), id);
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
  const size_t n = count_vectors();
  ids.reserve(n);
  paths.reserve(n);
  vectors.reserve(n * static_cast<size_t>(std::max(dim_, 0)));
  Statement q(db_, "SELECT id, path, vector FROM files WHERE vector IS NOT NULL ORDER BY id");
  while (q.step()) {
    ids.push_back(q.integer(0));
    paths.push_back(q.text(1));
    auto v = decode(q.blob(2), ids.back());
    vectors.insert(vectors.end(), v.begin(), v.end());
  }
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
