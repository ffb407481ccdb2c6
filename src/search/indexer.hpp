// search/indexer.hpp — the folder indexer behind ImageIndex::add: walk, compare with the
// store (size + mtime), hash what changed, reuse vectors for moved/copied/touched
// content, decode the rest on worker threads while the model embeds the previous
// batch, and commit one transaction per batch.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "clipkit/index.hpp"
#include "search/store.hpp"

namespace clipkit::search {

// True for the extensions a folder walk picks up (files named explicitly are always read).
bool has_image_extension(const std::filesystem::path& path);

// The absolute, lexically normal form under which paths are stored.
std::string storage_path(const std::filesystem::path& path);

struct Found {
  std::string path;  // storage_path
  int64_t size = 0;  // -1 when it cannot be read: never equal to a recorded size, so it is read again
  int64_t mtime_ns = 0;
};
Found stat_file(const std::filesystem::path& path);

// The image files under `roots` (folders recursively, skipping hidden names, by
// extension; files as given), sorted by path, each once; and the roots as
// (storage path, is a folder). Throws Error naming a root that is missing or neither a
// file nor a folder (a FIFO would block the reader) before anything is read.
struct Walk {
  std::vector<std::pair<std::string, bool>> roots;
  std::vector<Found> files;
};
Walk walk_images(std::span<const std::filesystem::path> roots);

// Largest file the indexer reads into memory.
inline constexpr uint64_t kMaxFileBytes = 1ull << 30;

IndexReport index_files(Store& store, const Clip& clip, std::span<const std::filesystem::path> roots,
                        const IndexOptions& options);

}  // namespace clipkit::search
