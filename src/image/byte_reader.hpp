// image/byte_reader.hpp — a bounds-checked reader over untrusted bytes (little-endian,
// with big-endian variants for PNG).
//
//   ByteReader r(bytes, "x.bmp");
//   uint32_t offset = r.u32_at(10);   // throws Error(corrupt_data) past the end
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "clipkit/error.hpp"

namespace clipkit::image {

class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> bytes, const std::string& name)
      : bytes_(bytes), name_(name) {}

  size_t size() const { return bytes_.size(); }

  // Throws corrupt_data naming the file unless [at, at + length) lies inside the bytes.
  void require(uint64_t at, uint64_t length, const char* what) const {
    if (at > bytes_.size() || length > bytes_.size() - at) {
      throw Error(ErrorCode::corrupt_data,
                  name_ + ": truncated " + what + " (needs bytes " + std::to_string(at) + ".." +
                      std::to_string(at + length) + ", file has " +
                      std::to_string(bytes_.size()) + ")");
    }
  }
  uint8_t u8_at(uint64_t at) const {
    require(at, 1, "data");
    return bytes_[at];
  }
  uint16_t u16_at(uint64_t at) const {
    require(at, 2, "data");
    return static_cast<uint16_t>(bytes_[at] | bytes_[at + 1] << 8);
  }
  uint32_t u32_at(uint64_t at) const {
    require(at, 4, "data");
    return uint32_t{bytes_[at]} | uint32_t{bytes_[at + 1]} << 8 |
           uint32_t{bytes_[at + 2]} << 16 | uint32_t{bytes_[at + 3]} << 24;
  }
  uint32_t u32be_at(uint64_t at) const {
    require(at, 4, "data");
    return uint32_t{bytes_[at]} << 24 | uint32_t{bytes_[at + 1]} << 16 |
           uint32_t{bytes_[at + 2]} << 8 | uint32_t{bytes_[at + 3]};
  }
  // Bytes from `at` to the end (0 when `at` is past it).
  uint64_t remaining(uint64_t at) const { return at < bytes_.size() ? bytes_.size() - at : 0; }
  const std::string& name() const { return name_; }
  const uint8_t* data_at(uint64_t at, uint64_t length, const char* what) const {
    require(at, length, what);
    return bytes_.data() + at;
  }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
};

}  // namespace clipkit::image
