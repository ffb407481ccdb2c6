// core/byte_reader.hpp — the one bounds-checked reader over untrusted bytes (checkpoints,
// zips, pickles, images, EXIF). Every read checks the bytes that remain before it touches
// them; a read past the end throws, naming the data and the offset. Parsers are written
// on it, never with pointer arithmetic of their own.
//
//   core::ByteReader r(bytes, "cat.bmp");
//   uint32_t pixels_at = r.u32le_at(10);             // absolute reads: the cursor stays
//   r.seek(14, "BMP info header");
//   uint32_t header_size = r.u32le();                // cursor reads advance it
//   auto palette = r.bytes(3 * colors, "palette");  // a view into the bytes, no copy
//   if (!r.has(at, 12)) return 0;                    // a check that does not throw
//
// Offsets are uint64_t and every check is written so that no sum can overflow. A
// sub-reader (sub) sees a slice with offsets relative to its start, but its error
// messages give offsets in the whole data, so a failure deep in a zip entry still
// points at the right byte of the file.
// Errors: clipkit::Error corrupt_data, "<name>: truncated <what> (needs bytes A..B, the
// data ends at byte E)" where A is the offset of the read.
// The reader does not own the bytes; they must outlive it. Const methods are safe to call
// from several threads; the cursor is not.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace clipkit::core {

enum class Endian { little, big };

class ByteReader {
 public:
  ByteReader(std::span<const uint8_t> bytes, std::string name) : bytes_(bytes), name_(std::move(name)) {}

  const std::string& name() const { return name_; }
  uint64_t size() const { return bytes_.size(); }

  // --- checks
  // Whether [at, at + length) lies inside the bytes.
  bool has(uint64_t at, uint64_t length) const { return at <= size() && length <= size() - at; }
  // Throws corrupt_data unless [at, at + length) lies inside the bytes.
  void require(uint64_t at, uint64_t length, std::string_view what) const {
    if (!has(at, length)) fail_truncated(at, length, what);
  }
  // Bytes from `at` to the end (0 when `at` is past it).
  uint64_t remaining(uint64_t at) const { return at < size() ? size() - at : 0; }

  // --- absolute reads (the cursor does not move)
  uint8_t u8_at(uint64_t at, std::string_view what = "data") const {
    require(at, 1, what);
    return bytes_[at];
  }
  uint16_t u16le_at(uint64_t at, std::string_view what = "data") const {
    return static_cast<uint16_t>(uint_n_at(at, 2, Endian::little, what));
  }
  uint32_t u32le_at(uint64_t at, std::string_view what = "data") const {
    return static_cast<uint32_t>(uint_n_at(at, 4, Endian::little, what));
  }
  uint64_t u64le_at(uint64_t at, std::string_view what = "data") const { return uint_n_at(at, 8, Endian::little, what); }
  uint16_t u16be_at(uint64_t at, std::string_view what = "data") const {
    return static_cast<uint16_t>(uint_n_at(at, 2, Endian::big, what));
  }
  uint32_t u32be_at(uint64_t at, std::string_view what = "data") const {
    return static_cast<uint32_t>(uint_n_at(at, 4, Endian::big, what));
  }
  uint64_t u64be_at(uint64_t at, std::string_view what = "data") const { return uint_n_at(at, 8, Endian::big, what); }
  // An unsigned integer of `width` bytes (0–8) in the given byte order.
  uint64_t uint_n_at(uint64_t at, size_t width, Endian endian, std::string_view what = "data") const {
    require(at, width, what);
    if (width > 8) fail_width(width);
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      const uint64_t byte = bytes_[static_cast<size_t>(at) + i];
      v |= endian == Endian::little ? byte << (8 * i) : byte << (8 * (width - 1 - i));
    }
    return v;
  }
  // `length` bytes from `at`: a view into the data.
  std::span<const uint8_t> bytes_at(uint64_t at, uint64_t length, std::string_view what) const {
    require(at, length, what);
    return bytes_.subspan(static_cast<size_t>(at), static_cast<size_t>(length));
  }
  // A reader over [at, at + length) (offsets relative to `at`; messages give file offsets).
  ByteReader sub(uint64_t at, uint64_t length, std::string_view what) const;

  // --- the cursor
  uint64_t offset() const { return cursor_; }
  uint64_t remaining() const { return remaining(cursor_); }
  // The bytes from the cursor to the end (a view; the cursor stays).
  std::span<const uint8_t> rest() const { return bytes_.subspan(static_cast<size_t>(std::min(cursor_, size()))); }
  // Moves the cursor to `at`, which may be the end but not past it.
  void seek(uint64_t at, std::string_view what = "data") {
    require(at, 0, what);
    cursor_ = at;
  }
  void skip(uint64_t length, std::string_view what = "data") {
    require(cursor_, length, what);
    cursor_ += length;
  }
  uint8_t u8(std::string_view what = "data") { return static_cast<uint8_t>(uint_n(1, Endian::little, what)); }
  uint16_t u16le(std::string_view what = "data") { return static_cast<uint16_t>(uint_n(2, Endian::little, what)); }
  uint32_t u32le(std::string_view what = "data") { return static_cast<uint32_t>(uint_n(4, Endian::little, what)); }
  uint64_t u64le(std::string_view what = "data") { return uint_n(8, Endian::little, what); }
  uint16_t u16be(std::string_view what = "data") { return static_cast<uint16_t>(uint_n(2, Endian::big, what)); }
  uint32_t u32be(std::string_view what = "data") { return static_cast<uint32_t>(uint_n(4, Endian::big, what)); }
  uint64_t u64be(std::string_view what = "data") { return uint_n(8, Endian::big, what); }
  uint64_t uint_n(size_t width, Endian endian, std::string_view what = "data") {
    const uint64_t v = uint_n_at(cursor_, width, endian, what);
    cursor_ += width;
    return v;
  }
  std::span<const uint8_t> bytes(uint64_t length, std::string_view what = "data") {
    auto view = bytes_at(cursor_, length, what);
    cursor_ += length;
    return view;
  }

 private:
  ByteReader(std::span<const uint8_t> bytes, std::string name, uint64_t base)
      : bytes_(bytes), name_(std::move(name)), base_(base) {}
  [[noreturn]] void fail_truncated(uint64_t at, uint64_t length, std::string_view what) const;
  [[noreturn]] static void fail_width(size_t width);

  std::span<const uint8_t> bytes_;
  std::string name_;
  uint64_t cursor_ = 0;
  uint64_t base_ = 0;  // offset of bytes_[0] in the whole data (sub-readers)
};

}  // namespace clipkit::core
