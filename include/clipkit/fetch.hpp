// clipkit/fetch.hpp — named models: a registry (a JSON data file), a cache folder per
// model, and verified, resumable downloads into it.
//
//   auto registry = clipkit::Registry::load("models/registry.json");
//   const clipkit::RegistryEntry& entry = registry.get("ViT-B/32");   // or "hf:openai/clip-vit-base-patch32"
//   clipkit::PulledModel pulled = clipkit::pull(entry);               // downloads what is missing
//   auto clip = clipkit::Clip::load(pulled.model, {.vocab = pulled.vocab});
//
// The cache: $CLIPKIT_CACHE, else $XDG_CACHE_HOME/clipkit, else ~/.cache/clipkit; one
// folder per model (cache_folder_name). A file appears under its final name only after
// its size and SHA-256 (where the registry knows them) were checked; until then it is
// `<name>.part`, which the next pull resumes with an HTTP Range request. Pulls of the
// same model, in threads or processes, are serialised by a lock file (flock) under
// `<cache>/.locks/`. Offline (PullOptions::offline, or $CLIPKIT_OFFLINE=1) never
// touches the network.
//
// Threading: Registry is immutable after load and may be shared. download() and pull()
// may run concurrently (libcurl handles are per call).
//
// Errors (clipkit::Error):
//   not_found          unknown name (with the closest names), HTTP 404, host unreachable,
//                      offline with files missing (named)
//   invalid_argument   HTTP 401/403 (set HF_TOKEN, accept the licence), other HTTP 4xx
//   corrupt_data       SHA-256 or size mismatch (the partial file is deleted); a malformed registry
//   resource_exhausted disk full (the .part is kept for a later resume)
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clipkit {

struct RegistryFile {
  std::string url;     // http(s)://
  std::string path;    // relative name in the model's cache folder (no "..")
  std::string sha256;  // lower-case hex, or empty where unknown (then only the size is checked)
  std::optional<uint64_t> size;
};

struct RegistryEntry {
  std::string name;    // "ViT-B/32", "hf:openai/clip-vit-base-patch32"
  std::string family;  // "openai", "hf-clip", "open_clip-siglip", ...
  std::string source;  // where the URLs come from, for people
  std::string note;    // e.g. "ResNet: clipkit cannot load it yet"
  bool loadable = true;
  std::string model;   // what --model takes, relative to the folder; "" = the folder itself
  std::string vocab;   // the tokenizer file, relative to the folder; "" = none / found in the folder
  std::vector<RegistryFile> files;
};

class Registry {
 public:
  // Parses a registry file: {"models": [{"name", "family", "source", "files": [...], ...}]}.
  // Throws corrupt_data naming the file and the entry on a malformed one.
  static Registry load(const std::filesystem::path& path);
  static Registry parse(std::string_view json_text, const std::string& display_name);

  const std::vector<RegistryEntry>& entries() const { return entries_; }
  // Exact name, else the name written as its cache folder ("ViT-B-32"). nullptr if none.
  const RegistryEntry* find(std::string_view name) const;
  // find(), or Error(not_found) naming the closest names (edit distance).
  const RegistryEntry& get(std::string_view name) const;
  // Up to `count` names nearest to `name` (case-insensitive Levenshtein distance).
  std::vector<std::string> closest(std::string_view name, size_t count = 3) const;

 private:
  std::vector<RegistryEntry> entries_;
};

// "ViT-B/32" → "ViT-B-32", "hf:openai/clip-vit-base-patch32" → "hf/openai/clip-vit-base-patch32".
// Characters other than letters, digits and "._-@" become '-'; empty or dot-only path parts
// are refused (invalid_argument).
std::string cache_folder_name(std::string_view name);
// $CLIPKIT_CACHE, else $XDG_CACHE_HOME/clipkit, else $HOME/.cache/clipkit.
std::filesystem::path cache_root();
// $CLIPKIT_OFFLINE is set to something other than "" or "0".
bool offline_from_env();

// Lower-case hex SHA-256 of a file's bytes. Throws not_found when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

struct DownloadOptions {
  int max_attempts = 4;           // requests per file, transient failures only (never 4xx)
  double first_backoff_s = 0.5;   // doubled after each failed attempt
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;      // abort (and retry) a transfer with no byte for this long
  // Sent as "Authorization: Bearer <token>" (pull() sets it from $HF_TOKEN for
  // huggingface.co URLs only; libcurl drops it on a redirect to another host).
  std::string bearer_token;
  // Called from the downloading thread: bytes of the file present so far and its total
  // size (0 when the server does not say).
  std::function<void(uint64_t have, uint64_t total)> progress;
};

struct DownloadStats {
  int requests = 0;             // HTTP requests made
  uint64_t resumed_from = 0;    // size of the .part found at the start
  uint64_t bytes_received = 0;  // body bytes over the network, all requests
};

// Downloads `url` into `dest`: writes `dest.part` (resuming one that exists with a Range
// request), checks `expected_size` and `expected_sha256` (when given), then renames it to
// `dest`. On a checksum or size mismatch the .part is deleted and corrupt_data thrown
// naming the file, the expected and the actual value. Follows redirects; honours
// HTTPS_PROXY/HTTP_PROXY/NO_PROXY (libcurl's environment).
DownloadStats download(const std::string& url, const std::filesystem::path& dest, const std::string& expected_sha256,
                       std::optional<uint64_t> expected_size, const DownloadOptions& options = {});

struct PullOptions {
  bool offline = false;              // also true when offline_from_env()
  std::filesystem::path cache;       // empty = cache_root()
  DownloadOptions download;          // bearer_token is filled from $HF_TOKEN per file when empty
  // Called before each file that must be fetched, and when waiting for another pull's lock.
  std::function<void(const RegistryFile& file, size_t index, size_t count)> on_file;
  std::function<void()> on_wait;
};

struct PulledModel {
  std::filesystem::path folder;  // the model's cache folder
  std::filesystem::path model;   // what --model takes
  std::filesystem::path vocab;   // the tokenizer file, or empty
  std::vector<DownloadStats> downloads;  // one per file fetched by this call
};

// The files of `entry` that are not in the cache yet (relative names).
std::vector<std::string> missing_files(const RegistryEntry& entry, const std::filesystem::path& cache = {});
// Fetches what is missing under the model's lock and returns where it lies.
PulledModel pull(const RegistryEntry& entry, const PullOptions& options = {});

}  // namespace clipkit
