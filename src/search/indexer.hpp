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

// Largest file the indexer reads into memory.
inline constexpr uint64_t kMaxFileBytes = 1ull << 30;

IndexReport index_files(Store& store, const Clip& clip, std::span<const std::filesystem::path> roots,
                        const IndexOptions& options);

}  // namespace clipkit::search
