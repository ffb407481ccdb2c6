// core/file.hpp — the one way clipkit opens and reads files a user named (models,
// configs, vocabularies, images): regular files only, refused *before* anything can
// block (a FIFO with no writer would hang open(2) forever), and read with a size cap
// so that a huge file is an error, not an allocation.
//
//   std::vector<uint8_t> bytes = core::read_file(path, 64 << 20, "a config file");
//   int fd = core::open_regular(path, "a checkpoint");   // caller closes
//
// Errors (clipkit::Error, the message names the path and what it is):
//   not_found          no such file, or a symlink loop / unreadable path
//   invalid_argument   a folder, FIFO, socket or device where a file was expected
//   resource_exhausted larger than max_bytes
//   corrupt_data       a read that failed or came up short
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace clipkit::core {

// Empty when `path` is a regular file (after following symlinks); otherwise what it is,
// for a message: "no such file", "a folder", "a named pipe (FIFO)", "a socket",
// "a device", "a symlink loop", or the system's reason it cannot be examined.
std::string not_a_regular_file(const std::filesystem::path& path);

// Opens a regular file read-only (O_NONBLOCK, so a FIFO swapped in after a check still
// cannot block; the flag has no effect on regular files). `what` names the kind of file
// in messages, with its article ("an image file", "a checkpoint"). The caller owns the descriptor.
int open_regular(const std::filesystem::path& path, const std::string& what);

// The whole file, at most `max_bytes` of it (larger is resource_exhausted).
std::vector<uint8_t> read_file(const std::filesystem::path& path, size_t max_bytes,
                               const std::string& what);
std::string read_text_file(const std::filesystem::path& path, size_t max_bytes,
                           const std::string& what);

}  // namespace clipkit::core
