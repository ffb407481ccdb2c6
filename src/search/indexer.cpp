#include "search/indexer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "clipkit/error.hpp"
#include "core/file.hpp"
#include "clipkit/similarity.hpp"
#include "search/content_hash.hpp"

namespace clipkit::search {

namespace fs = std::filesystem;

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".gif"})
    if (ext == known) return true;
  return false;
}

std::string storage_path(const fs::path& path) { return fs::absolute(path).lexically_normal().string(); }

namespace {

int64_t mtime_ns(const fs::path& path, std::error_code& ec) {
  auto t = fs::last_write_time(path, ec);
  return ec ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

Found stat_file(const fs::path& path) {
  std::error_code e;
  const auto size = fs::file_size(path, e);
  const int64_t mtime = mtime_ns(path, e);
  return {storage_path(path), e ? -1 : static_cast<int64_t>(size), mtime};
}

namespace {

bool under(const std::string& path, const std::string& root, bool root_is_dir) {
  if (!root_is_dir) return path == root;
  const std::string prefix = root.back() == '/' ? root : root + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

// One file to read: what the worker produced for it.
struct Job {
  Found file;
  std::optional<int64_t> existing_id;  // a row at this path (modified file)
  bool damaged = false;                // that row's stored vector is damaged
};
struct Result {
  size_t job = 0;
  std::string hash;
  std::optional<int64_t> same_content;  // a row with a vector and this hash
  std::vector<float> pixels;            // when it needs the model
  std::string error;                    // when unreadable
};

std::vector<uint8_t> read_file(const fs::path& path) {
  return core::read_file(path, kMaxFileBytes, "an image file");
}

// A bounded queue: workers block when the model falls behind, so memory stays flat.
class ResultQueue {
 public:
  explicit ResultQueue(size_t capacity) : capacity_(capacity) {}
  void push(Result r) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || stopped_; });
    if (stopped_) return;
    items_.push_back(std::move(r));
    not_empty_.notify_one();
  }
  std::optional<Result> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    Result r = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return r;
  }
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    not_full_.notify_all();
  }

 private:
  size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Result> items_;
  bool stopped_ = false;
};

}  // namespace

Walk walk_images(std::span<const fs::path> roots) {
  Walk walk;
  auto& root_paths = walk.roots;
  auto& found = walk.files;
  for (const fs::path& root : roots) {
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status))
      throw Error(ErrorCode::not_found, root.string() + ": " + core::not_a_regular_file(root) + ", expected an image file or folder");
    if (!fs::is_directory(status) && !fs::is_regular_file(status))  // a FIFO would block the reader
      throw Error(ErrorCode::invalid_argument,
                  root.string() + ": " + core::not_a_regular_file(root) + ", expected an image file or folder");
    const std::string root_path = storage_path(root);
    const bool is_dir = fs::is_directory(status);
    root_paths.emplace_back(root_path, is_dir);
    if (!is_dir) {
      found.push_back(stat_file(root));
      continue;
    }
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) throw Error(ErrorCode::not_found, root.string() + ": cannot list (" + ec.message() + ")");
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && has_image_extension(it->path())) found.push_back(stat_file(it->path()));
    }
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.path < b.path; });
  found.erase(std::unique(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.path == b.path; }),
              found.end());
  return walk;
}

IndexReport index_files(Store& store, const Clip& clip, std::span<const fs::path> roots, const IndexOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  IndexReport report;
  const size_t batch = std::clamp<size_t>(options.batch, 1, 4096);

  // 1. Walk. Missing roots are an error before anything changes.
  Walk walked = walk_images(roots);
  const std::vector<std::pair<std::string, bool>>& root_paths = walked.roots;
  const std::vector<Found>& found = walked.files;
  report.scanned = found.size();

  // 2. Compare with the store.
  std::unordered_map<std::string, FileRecord> by_path;
  std::unordered_map<std::string, int64_t> by_hash;  // content with a vector → a row (read by workers)
  std::unordered_map<std::string, int64_t> fresh;    // content embedded this run (main thread only)
  // A damaged vector is never a source to copy from, and its file is read again.
  const std::vector<int64_t> damaged_ids = store.damaged_vectors();
  const std::unordered_set<int64_t> damaged(damaged_ids.begin(), damaged_ids.end());
  for (FileRecord& r : store.records()) {
    if (r.has_vector && !damaged.count(r.id)) by_hash.emplace(r.hash, r.id);
    by_path.emplace(r.path, std::move(r));
  }
  auto under_roots = [&](const std::string& path) {
    for (const auto& [root, is_dir] : root_paths)
      if (under(path, root, is_dir)) return true;
    return false;
  };
  std::unordered_set<std::string> seen;
  std::vector<Job> jobs;
  for (const Found& f : found) {
    seen.insert(f.path);
    auto it = by_path.find(f.path);
    const bool is_damaged = it != by_path.end() && damaged.count(it->second.id);
    if (it != by_path.end() && !is_damaged && it->second.size == f.size && it->second.mtime_ns == f.mtime_ns &&
        f.size >= 0) {
      ++report.unchanged;
      continue;
    }
    jobs.push_back({f, it != by_path.end() ? std::optional<int64_t>(it->second.id) : std::nullopt, is_damaged});
  }
  // Damaged rows elsewhere are repaired too, so that any index run makes search work
  // again. (Those under the roots whose files are gone are dropped below, as usual.)
  for (const auto& [path, r] : by_path)
    if (damaged.count(r.id) && !seen.count(path) && !under_roots(path)) jobs.push_back({stat_file(path), r.id, true});
  // Rows under the roots whose files are gone: deleted, or moved (claimed below).
  std::unordered_map<int64_t, std::string> missing;
  for (const auto& [path, r] : by_path) {
    if (!seen.count(path) && under_roots(path)) missing.emplace(r.id, path);
  }

  // 3. Workers: read, hash, and decode + preprocess what has no vector yet.
  // The transform the model declares (SigLIP: its size, mean/std, resize mode, filter),
  // the same one Clip::preprocess_file uses.
  const PreprocessOptions preprocess = clip.model().info().preprocess;
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t workers = std::min<size_t>(jobs.size(), options.decode_threads > 0
                                                            ? static_cast<size_t>(options.decode_threads)
                                                            : std::max(1u, hw / 2));
  ResultQueue queue(2 * batch);
  std::atomic<size_t> next_job{0};
  auto work = [&] {
    for (size_t j; (j = next_job.fetch_add(1)) < jobs.size();) {
      Result r;
      r.job = j;
      const std::string& path = jobs[j].file.path;
      try {
        std::vector<uint8_t> bytes = read_file(path);
        r.hash = sha256_hex(bytes);
        if (auto it = by_hash.find(r.hash); it != by_hash.end()) {
          r.same_content = it->second;
        } else {
          r.pixels = clip_preprocess(decode_image_memory(bytes, path, clip.options().decode), preprocess);
        }
      } catch (const std::exception& e) {
        r.error = e.what();
      }
      queue.push(std::move(r));
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < workers; ++t) pool.emplace_back(work);
  struct JoinOnExit {
    ResultQueue& queue;
    std::vector<std::thread>& pool;
    ~JoinOnExit() {
      queue.stop();
      for (auto& t : pool) t.join();
    }
  } join_on_exit{queue, pool};

  // 4. The model and the store, one batch (one transaction) at a time.
  const size_t dim = static_cast<size_t>(clip.model().embed_dim());
  const size_t pixel_floats = 3 * static_cast<size_t>(preprocess.size) * static_cast<size_t>(preprocess.size);
  IndexProgress progress;
  progress.total = jobs.size();
  std::vector<Result> pending;
  auto flush = [&] {
    // Content seen before: re-check the source row still holds it (an earlier batch may
    // have rewritten that path); otherwise decode here after all.
    std::vector<std::vector<uint8_t>> reused_blobs(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      Result& r = pending[i];
      if (!r.same_content && r.error.empty())
        if (auto it = fresh.find(r.hash); it != fresh.end()) r.same_content = it->second;
      if (!r.same_content) continue;
      auto source = store.record(*r.same_content);
      if (source && source->has_vector && source->hash == r.hash) {
        reused_blobs[i] = store.vector_blob(source->id);
        if (!reused_blobs[i].empty()) continue;
      }
      r.same_content.reset();
      try {
        r.pixels = clip.preprocess_file(jobs[r.job].file.path);
      } catch (const std::exception& e) {
        r.error = e.what();
      }
    }
    std::vector<float> pixels;
    std::vector<size_t> to_embed;
    for (size_t i = 0; i < pending.size(); ++i)
      if (!pending[i].same_content && pending[i].error.empty() && pending[i].pixels.size() == pixel_floats) {
        pixels.insert(pixels.end(), pending[i].pixels.begin(), pending[i].pixels.end());
        to_embed.push_back(i);
      }
    std::vector<float> embeddings;
    std::vector<size_t> embedding_row(pending.size(), 0);
    if (!to_embed.empty()) {
      embeddings = clip.model().encode_images(pixels, to_embed.size());
      normalize_rows(embeddings, dim);
      for (size_t e = 0; e < to_embed.size(); ++e) {
        embedding_row[to_embed[e]] = e;
        // Stored, a NaN would poison every search; and it would be "damaged" forever.
        const float* v = embeddings.data() + e * dim;
        if (!std::all_of(v, v + dim, [](float x) { return std::isfinite(x); }))
          pending[to_embed[e]].error = jobs[pending[to_embed[e]].job].file.path + ": the model gave a non-finite embedding";
      }
    }
    Transaction tx(store.db());
    for (size_t i = 0; i < pending.size(); ++i) {
      Result& r = pending[i];
      const Job& job = jobs[r.job];
      FileRecord rec{0, job.file.path, job.file.size, job.file.mtime_ns, r.hash, r.error, false};
      if (!r.error.empty()) {
        store.put(rec, {});
        ++report.errors;
        ++progress.errors;
        report.error_files.emplace_back(job.file.path, r.error);
      } else if (r.same_content) {
        const int64_t source = *r.same_content;
        if (auto m = missing.find(source); m != missing.end()) {
          // The same bytes vanished from another path under the roots: a move.
          if (job.existing_id && *job.existing_id != source) store.remove(*job.existing_id);
          store.move(source, job.file.path, job.file.size, job.file.mtime_ns);
          missing.erase(m);
          ++report.renamed;
        } else {
          store.put(rec, reused_blobs[i]);
          ++report.reused;
        }
        report.repaired += job.damaged;
      } else {
        std::span<const float> v(embeddings.data() + embedding_row[i] * dim, dim);
        store.put(rec, store.encode(v));
        ++report.embedded;
        report.repaired += job.damaged;
      }
    }
    store.bump_generation();
    tx.commit();
    // Later files with content embedded in this batch reuse it instead of re-embedding.
    for (size_t i = 0; i < pending.size(); ++i)
      if (pending[i].error.empty() && !pending[i].same_content)
        if (auto rec = store.record_by_path(jobs[pending[i].job].file.path); rec && rec->has_vector)
          fresh.emplace(rec->hash, rec->id);
    progress.done += pending.size();
    progress.seconds = elapsed();
    pending.clear();
    if (options.progress) options.progress(progress);
  };
  for (size_t received = 0; received < jobs.size(); ++received) {
    pending.push_back(*queue.pop());
    if (pending.size() == batch) flush();
  }
  if (!pending.empty()) flush();

  // 5. Rows whose files are gone and were not claimed as moves.
  if (!missing.empty()) {
    Transaction tx(store.db());
    for (const auto& [id, path] : missing) store.remove(id);
    store.bump_generation();
    tx.commit();
    report.removed = missing.size();
  }
  report.seconds = elapsed();
  return report;
}

}  // namespace clipkit::search
