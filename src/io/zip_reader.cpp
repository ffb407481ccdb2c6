#include "io/zip_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "clipkit/error.hpp"

namespace clipkit::io {
namespace {

constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kEnd64Signature = 0x06064b50;
constexpr uint32_t kEnd64LocatorSignature = 0x07064b50;
constexpr uint32_t kCentralSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;
constexpr size_t kEndSize = 22;
constexpr size_t kEnd64Size = 56;
constexpr size_t kEnd64LocatorSize = 20;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr size_t kMaxCommentSize = 0xffff;
// Deflate cannot expand more than about 1032:1; a claimed size beyond that is a lie.
constexpr uint64_t kMaxDeflateRatio = 1032;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) {
  return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

// True when [offset, offset+length) lies inside a buffer of `size` bytes.
bool in_bounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

}  // namespace

void ZipReader::fail(const std::string& what) const {
  throw Error(ErrorCode::corrupt_data, name_ + ": " + what);
}

ZipReader::ZipReader(std::span<const uint8_t> bytes, std::string display_name)
    : bytes_(bytes), name_(std::move(display_name)) {
  const uint64_t size = bytes_.size();
  const uint8_t* data = bytes_.data();
  if (size < kEndSize) {
    fail("not a zip archive: " + std::to_string(size) +
         " bytes, shorter than an end-of-central-directory record (22)");
  }
  // The end record sits in the last 22 + 65535 bytes (the comment may follow it).
  const uint64_t lowest = size - kEndSize - std::min<uint64_t>(size - kEndSize, kMaxCommentSize);
  uint64_t end = size - kEndSize;
  bool found = false;
  for (;;) {
    if (le32(data + end) == kEndSignature &&
        end + kEndSize + le16(data + end + 20) <= size) {
      found = true;
      break;
    }
    if (end == lowest) break;
    --end;
  }
  if (!found) {
    fail("not a zip archive or truncated: no end-of-central-directory record in the last " +
         std::to_string(size - lowest) + " bytes");
  }
  uint64_t entry_count = le16(data + end + 10);
  uint64_t cd_size = le32(data + end + 12);
  uint64_t cd_offset = le32(data + end + 16);
  if (entry_count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end < kEnd64LocatorSize || le32(data + end - kEnd64LocatorSize) != kEnd64LocatorSignature) {
      fail("zip64 end-of-central-directory locator missing");
    }
    const uint64_t end64 = le64(data + end - kEnd64LocatorSize + 8);
    if (!in_bounds(end64, kEnd64Size, size) || le32(data + end64) != kEnd64Signature) {
      fail("zip64 end-of-central-directory record at offset " + std::to_string(end64) +
           " is outside the file (" + std::to_string(size) + " bytes) or malformed");
    }
    entry_count = le64(data + end64 + 32);
    cd_size = le64(data + end64 + 40);
    cd_offset = le64(data + end64 + 48);
  }
  if (!in_bounds(cd_offset, cd_size, size)) {
    fail("central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) +
         ") lies outside the file (" + std::to_string(size) + " bytes; truncated?)");
  }
  if (entry_count > cd_size / kCentralSize) {
    fail("central directory claims " + std::to_string(entry_count) + " entries but holds only " +
         std::to_string(cd_size) + " bytes");
  }
  entries_.reserve(entry_count);
  uint64_t pos = cd_offset;
  const uint64_t cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < entry_count; ++i) {
    if (!in_bounds(pos, kCentralSize, cd_end) || le32(data + pos) != kCentralSignature) {
      fail("central directory entry " + std::to_string(i) + " at offset " + std::to_string(pos) +
           " is malformed or out of bounds");
    }
    const uint8_t* h = data + pos;
    ZipEntry entry;
    entry.flags = le16(h + 8);
    entry.method = le16(h + 10);
    entry.compressed_size = le32(h + 20);
    entry.uncompressed_size = le32(h + 24);
    const uint16_t name_len = le16(h + 28);
    const uint16_t extra_len = le16(h + 30);
    const uint16_t comment_len = le16(h + 32);
    entry.local_header_offset = le32(h + 42);
    const uint64_t variable = uint64_t{name_len} + extra_len + comment_len;
    if (!in_bounds(pos + kCentralSize, variable, cd_end)) {
      fail("central directory entry " + std::to_string(i) + " runs past the directory's end");
    }
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    // Zip64 extended information: 64-bit values for the fields saturated above, in order.
    const uint8_t* extra = h + kCentralSize + name_len;
    uint64_t x = 0;
    while (x + 4 <= extra_len) {
      const uint16_t id = le16(extra + x);
      const uint16_t len = le16(extra + x + 2);
      if (x + 4 + len > extra_len) break;
      if (id == 0x0001) {
        const uint8_t* f = extra + x + 4;
        uint64_t used = 0;
        auto take = [&](uint64_t& field) {
          if (field != 0xffffffff) return;
          if (used + 8 > len) fail("entry '" + entry.name + "': zip64 extra field too short");
          field = le64(f + used);
          used += 8;
        };
        take(entry.uncompressed_size);
        take(entry.compressed_size);
        take(entry.local_header_offset);
      }
      x += 4 + uint64_t{len};
    }
    if (!in_bounds(entry.local_header_offset, kLocalSize, size)) {
      fail("entry '" + entry.name + "': local header offset " +
           std::to_string(entry.local_header_offset) + " is outside the file (" +
           std::to_string(size) + " bytes)");
    }
    entries_.push_back(std::move(entry));
    pos += kCentralSize + variable;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  for (const ZipEntry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::span<const uint8_t> ZipReader::raw_data(const ZipEntry& entry) const {
  const uint64_t size = bytes_.size();
  const uint64_t offset = entry.local_header_offset;
  if (!in_bounds(offset, kLocalSize, size) || le32(bytes_.data() + offset) != kLocalSignature) {
    fail("entry '" + entry.name + "': no local header at offset " + std::to_string(offset));
  }
  if (entry.flags & 0x1) {
    throw Error(ErrorCode::unsupported, name_ + ": entry '" + entry.name + "' is encrypted");
  }
  const uint8_t* h = bytes_.data() + offset;
  // Sizes in the local header may be zero (data descriptor); the central directory's win.
  const uint64_t start = offset + kLocalSize + le16(h + 26) + le16(h + 28);
  if (!in_bounds(start, entry.compressed_size, size)) {
    fail("entry '" + entry.name + "': data [" + std::to_string(start) + ", +" +
         std::to_string(entry.compressed_size) + ") lies outside the file (" +
         std::to_string(size) + " bytes; truncated?)");
  }
  return bytes_.subspan(start, entry.compressed_size);
}

std::span<const uint8_t> ZipReader::stored_data(const ZipEntry& entry) const {
  if (entry.method != 0) {
    throw Error(ErrorCode::unsupported, name_ + ": entry '" + entry.name +
                                            "' is compressed (method " +
                                            std::to_string(entry.method) + "), expected stored");
  }
  if (entry.compressed_size != entry.uncompressed_size) {
    fail("stored entry '" + entry.name + "' has compressed size " +
         std::to_string(entry.compressed_size) + " != uncompressed size " +
         std::to_string(entry.uncompressed_size));
  }
  return raw_data(entry);
}

std::vector<uint8_t> ZipReader::read(const ZipEntry& entry) const {
  if (entry.method == 0) {
    auto data = stored_data(entry);
    return {data.begin(), data.end()};
  }
  if (entry.method != 8) {
    throw Error(ErrorCode::unsupported, name_ + ": entry '" + entry.name +
                                            "' uses compression method " +
                                            std::to_string(entry.method) +
                                            " (only stored and deflate are supported)");
  }
  const auto raw = raw_data(entry);
  const uint64_t max_out = std::max<uint64_t>(raw.size(), 1) * kMaxDeflateRatio;
  if (entry.uncompressed_size > max_out ||
      entry.uncompressed_size > std::numeric_limits<uInt>::max() ||
      raw.size() > std::numeric_limits<uInt>::max()) {
    fail("deflated entry '" + entry.name + "' claims " + std::to_string(entry.uncompressed_size) +
         " bytes from " + std::to_string(raw.size()) + " compressed bytes");
  }
  std::vector<uint8_t> out(entry.uncompressed_size);
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
    throw Error(ErrorCode::internal, name_ + ": inflateInit2 failed");
  }
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  const uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != out.size()) {
    fail("deflated entry '" + entry.name + "' does not inflate to " +
         std::to_string(out.size()) + " bytes (zlib status " + std::to_string(rc) + ", got " +
         std::to_string(produced) + ")");
  }
  return out;
}

}  // namespace clipkit::io
