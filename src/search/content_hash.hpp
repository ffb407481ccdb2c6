// search/content_hash.hpp — SHA-256 of file contents, as lowercase hex: how the indexer
// recognises a moved, renamed, copied or merely touched file. Thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace clipkit::search {

std::string sha256_hex(std::span<const uint8_t> bytes);

}  // namespace clipkit::search
