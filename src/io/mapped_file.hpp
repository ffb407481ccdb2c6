// io/mapped_file.hpp — a whole file mapped read-only into memory.
//
//   MappedFile file(path);                     // throws clipkit::Error
//   std::span<const uint8_t> bytes = file.bytes();
//
// The mapping lives as long as the object (move-only). An empty file gives an empty
// span. Errors: not_found (missing path), invalid_argument (a folder), corrupt_data
// (cannot be read/mapped). Safe to read from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>

namespace clipkit::io {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // Tells the kernel the pages wholly inside `range` (a part of bytes()) are not
  // needed any more, so a loader that has copied them out does not hold the file
  // in its resident memory as well. They are re-read from the file if touched.
  void drop_pages(std::span<const uint8_t> range) const;

 private:
  void release();

  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace clipkit::io
