// io/zip_reader.hpp — reads the central directory of a zip archive held in memory
// (torch's .pt / .bin files are zips of STORED entries).
//
//   MappedFile file(path);
//   ZipReader zip(file.bytes(), path.string());
//   const ZipEntry* e = zip.find("archive/data.pkl");
//   std::span<const uint8_t> pickle = zip.stored_data(*e);
//
// Handles zip64 end records and extra fields, and data descriptors (sizes are taken
// from the central directory). Every offset and size is checked against the buffer
// before use. CRCs are not verified. The reader does not own the bytes; they must
// outlive it. Const methods are safe to call from several threads.
// Errors: clipkit::Error corrupt_data (not a zip, truncated, entries out of bounds),
// unsupported (a compression method other than stored/deflate, encryption).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clipkit::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint16_t flags = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  // `display_name` names the archive in error messages.
  ZipReader(std::span<const uint8_t> bytes, std::string display_name);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when no entry has exactly this name.
  const ZipEntry* find(std::string_view name) const;

  // The bytes of a STORED entry, pointing into the archive (no copy).
  std::span<const uint8_t> stored_data(const ZipEntry& entry) const;
  // The uncompressed bytes of a stored or deflated entry (a copy).
  std::vector<uint8_t> read(const ZipEntry& entry) const;

 private:
  std::span<const uint8_t> raw_data(const ZipEntry& entry) const;
  [[noreturn]] void fail(const std::string& what) const;

  std::span<const uint8_t> bytes_;
  std::string name_;
  std::vector<ZipEntry> entries_;
};

}  // namespace clipkit::io
