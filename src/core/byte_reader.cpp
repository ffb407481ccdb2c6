#include "core/byte_reader.hpp"

#include <limits>

#include "clipkit/error.hpp"

namespace clipkit::core {

namespace {

// a + b, or "a+b" in words when the sum would not fit (hostile lengths).
std::string end_of(uint64_t a, uint64_t b) {
  if (b > std::numeric_limits<uint64_t>::max() - a) return std::to_string(a) + "+" + std::to_string(b);
  return std::to_string(a + b);
}

}  // namespace

void ByteReader::fail_truncated(uint64_t at, uint64_t length, std::string_view what) const {
  // Offsets in the whole data: a sub-reader's start plus the offset in it.
  const std::string from = end_of(base_, at);
  const std::string to = at <= std::numeric_limits<uint64_t>::max() - base_ ? end_of(base_ + at, length)
                                                                              : from + "+" + std::to_string(length);
  throw Error(ErrorCode::corrupt_data, name_ + ": truncated " + std::string(what) + " (needs bytes " + from + ".." +
                                           to + ", the data ends at byte " + end_of(base_, size()) + ")");
}

void ByteReader::fail_width(size_t width) {
  throw Error(ErrorCode::internal, "ByteReader: an integer of " + std::to_string(width) + " bytes (at most 8)");
}

ByteReader ByteReader::sub(uint64_t at, uint64_t length, std::string_view what) const {
  require(at, length, what);
  return ByteReader(bytes_.subspan(static_cast<size_t>(at), static_cast<size_t>(length)), name_, base_ + at);
}

}  // namespace clipkit::core
