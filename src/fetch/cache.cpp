// The model cache: where it is, what a model is missing, and pull() — the files fetched
// under a per-model lock file so that concurrent pulls wait instead of interleaving.
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "clipkit/error.hpp"
#include "clipkit/fetch.hpp"

namespace clipkit {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool is_huggingface(const std::string& url) {
  for (const char* prefix : {"https://huggingface.co/", "http://huggingface.co/"})
    if (url.starts_with(prefix)) return true;
  return false;
}

// flock() on a file under <cache>/.locks: released when the descriptor closes, also when
// the process dies, so a killed pull never leaves the model locked.
class ModelLock {
 public:
  ModelLock(const fs::path& path, const std::function<void()>& on_wait) {
    fs::create_directories(path.parent_path());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error(ErrorCode::not_found, "cannot open the lock file " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (on_wait) on_wait();
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) {
        ::close(fd_);
        throw Error(ErrorCode::internal, "flock " + path.string() + ": " + std::strerror(errno));
      }
  }
  ~ModelLock() { ::close(fd_); }
  ModelLock(const ModelLock&) = delete;
  ModelLock& operator=(const ModelLock&) = delete;

 private:
  int fd_ = -1;
};

fs::path chosen_cache(const fs::path& cache) { return cache.empty() ? cache_root() : cache; }

}  // namespace

fs::path cache_root() {
  if (std::string v = env("CLIPKIT_CACHE"); !v.empty()) return v;
  if (std::string v = env("XDG_CACHE_HOME"); !v.empty()) return fs::path(v) / "clipkit";
  if (std::string v = env("HOME"); !v.empty()) return fs::path(v) / ".cache" / "clipkit";
  throw Error(ErrorCode::invalid_argument, "no cache folder: set CLIPKIT_CACHE (or HOME)");
}

bool offline_from_env() {
  const std::string v = env("CLIPKIT_OFFLINE");
  return !v.empty() && v != "0";
}

std::vector<std::string> missing_files(const RegistryEntry& entry, const fs::path& cache) {
  const fs::path folder = chosen_cache(cache) / cache_folder_name(entry.name);
  std::vector<std::string> missing;
  std::error_code ec;
  for (const RegistryFile& file : entry.files)
    if (!fs::is_regular_file(folder / file.path, ec)) missing.push_back(file.path);
  return missing;
}

PulledModel pull(const RegistryEntry& entry, const PullOptions& options) {
  const fs::path cache = chosen_cache(options.cache);
  const std::string folder_name = cache_folder_name(entry.name);
  PulledModel pulled;
  pulled.folder = cache / folder_name;
  pulled.model = entry.model.empty() ? pulled.folder : pulled.folder / entry.model;
  if (!entry.vocab.empty()) pulled.vocab = pulled.folder / entry.vocab;

  if (missing_files(entry, cache).empty()) return pulled;
  if (options.offline || offline_from_env()) {
    std::string list;
    for (const std::string& path : missing_files(entry, cache)) {
      for (const RegistryFile& file : entry.files)
        if (file.path == path) list += "\n  " + (pulled.folder / path).string() + "  (from " + file.url + ")";
    }
    throw Error(ErrorCode::not_found, "model '" + entry.name + "' is not fully cached and clipkit is offline "
                                      "(--offline or CLIPKIT_OFFLINE): missing" + list +
                                      "\nrun `clipkit pull " + entry.name + "` where there is a network, or copy the files there");
  }

  std::string lock_name = folder_name;
  for (char& c : lock_name)
    if (c == '/') c = '~';
  ModelLock lock(cache / ".locks" / (lock_name + ".lock"), options.on_wait);
  fs::create_directories(pulled.folder);
  // Under the lock: another pull may have fetched some files while this one waited.
  const std::vector<std::string> missing = missing_files(entry, cache);
  size_t index = 0;
  for (const RegistryFile& file : entry.files) {
    if (std::find(missing.begin(), missing.end(), file.path) == missing.end()) continue;
    const fs::path dest = pulled.folder / file.path;
    fs::create_directories(dest.parent_path());
    if (options.on_file) options.on_file(file, index, missing.size());
    ++index;
    DownloadOptions file_options = options.download;
    if (file_options.bearer_token.empty() && is_huggingface(file.url)) file_options.bearer_token = env("HF_TOKEN");
    pulled.downloads.push_back(download(file.url, dest, file.sha256, file.size, file_options));
  }
  return pulled;
}

}  // namespace clipkit
