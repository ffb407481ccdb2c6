#include "io/zip_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"

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

}  // namespace

void ZipReader::fail(const std::string& what) const {
  throw Error(ErrorCode::corrupt_data, name_ + ": " + what);
}

ZipReader::ZipReader(std::span<const uint8_t> bytes, std::string display_name)
    : bytes_(bytes), name_(std::move(display_name)) {
  // Every record is checked to lie inside the file (or the directory) with the zip's own
  // messages below before its fixed fields are read; a sub-reader over the record then
  // checks every field read as well.
  const core::ByteReader file(bytes_, name_);
  const uint64_t size = file.size();
  if (size < kEndSize) {
    fail("not a zip archive: " + std::to_string(size) +
         " bytes, shorter than an end-of-central-directory record (22)");
  }
  // The end record sits in the last 22 + 65535 bytes (the comment may follow it).
  const uint64_t lowest = size - kEndSize - std::min<uint64_t>(size - kEndSize, kMaxCommentSize);
  uint64_t end = size - kEndSize;
  bool found = false;
  for (;;) {
    if (file.u32le_at(end) == kEndSignature && end + kEndSize + file.u16le_at(end + 20) <= size) {
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
  const core::ByteReader end_record = file.sub(end, kEndSize, "end-of-central-directory record");
  uint64_t entry_count = end_record.u16le_at(10);
  uint64_t cd_size = end_record.u32le_at(12);
  uint64_t cd_offset = end_record.u32le_at(16);
  if (entry_count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    if (end < kEnd64LocatorSize || file.u32le_at(end - kEnd64LocatorSize) != kEnd64LocatorSignature) {
      fail("zip64 end-of-central-directory locator missing");
    }
    const uint64_t end64 = file.u64le_at(end - kEnd64LocatorSize + 8);
    if (!file.has(end64, kEnd64Size) || file.u32le_at(end64) != kEnd64Signature) {
      fail("zip64 end-of-central-directory record at offset " + std::to_string(end64) +
           " is outside the file (" + std::to_string(size) + " bytes) or malformed");
    }
    const core::ByteReader end64_record = file.sub(end64, kEnd64Size, "zip64 end-of-central-directory record");
    entry_count = end64_record.u64le_at(32);
    cd_size = end64_record.u64le_at(40);
    cd_offset = end64_record.u64le_at(48);
  }
  if (!file.has(cd_offset, cd_size)) {
    fail("central directory [" + std::to_string(cd_offset) + ", +" + std::to_string(cd_size) +
         ") lies outside the file (" + std::to_string(size) + " bytes; truncated?)");
  }
  if (entry_count > cd_size / kCentralSize) {
    fail("central directory claims " + std::to_string(entry_count) + " entries but holds only " +
         std::to_string(cd_size) + " bytes");
  }
  entries_.reserve(entry_count);
  const core::ByteReader directory = file.sub(cd_offset, cd_size, "central directory");
  uint64_t pos = 0;  // in the directory
  for (uint64_t i = 0; i < entry_count; ++i) {
    if (!directory.has(pos, kCentralSize) || directory.u32le_at(pos) != kCentralSignature) {
      fail("central directory entry " + std::to_string(i) + " at offset " + std::to_string(cd_offset + pos) +
           " is malformed or out of bounds");
    }
    const core::ByteReader h = directory.sub(pos, kCentralSize, "central directory entry");
    ZipEntry entry;
    entry.flags = h.u16le_at(8);
    entry.method = h.u16le_at(10);
    entry.compressed_size = h.u32le_at(20);
    entry.uncompressed_size = h.u32le_at(24);
    const uint16_t name_len = h.u16le_at(28);
    const uint16_t extra_len = h.u16le_at(30);
    const uint16_t comment_len = h.u16le_at(32);
    entry.local_header_offset = h.u32le_at(42);
    const uint64_t variable = uint64_t{name_len} + extra_len + comment_len;
    if (!directory.has(pos + kCentralSize, variable)) {
      fail("central directory entry " + std::to_string(i) + " runs past the directory's end");
    }
    const auto name = directory.bytes_at(pos + kCentralSize, name_len, "entry name");
    entry.name.assign(name.begin(), name.end());
    // Zip64 extended information: 64-bit values for the fields saturated above, in order.
    const core::ByteReader extra = directory.sub(pos + kCentralSize + name_len, extra_len, "extra field");
    uint64_t x = 0;
    while (x + 4 <= extra_len) {
      const uint16_t id = extra.u16le_at(x);
      const uint16_t len = extra.u16le_at(x + 2);
      if (x + 4 + len > extra_len) break;
      if (id == 0x0001) {
        const core::ByteReader field = extra.sub(x + 4, len, "zip64 extra field");
        uint64_t used = 0;
        auto take = [&](uint64_t& value) {
          if (value != 0xffffffff) return;
          if (!field.has(used, 8)) fail("entry '" + entry.name + "': zip64 extra field too short");
          value = field.u64le_at(used);
          used += 8;
        };
        take(entry.uncompressed_size);
        take(entry.compressed_size);
        take(entry.local_header_offset);
      }
      x += 4 + uint64_t{len};
    }
    if (!file.has(entry.local_header_offset, kLocalSize)) {
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
  const core::ByteReader file(bytes_, name_);
  const uint64_t size = file.size();
  const uint64_t offset = entry.local_header_offset;
  if (!file.has(offset, kLocalSize) || file.u32le_at(offset) != kLocalSignature) {
    fail("entry '" + entry.name + "': no local header at offset " + std::to_string(offset));
  }
  if (entry.flags & 0x1) {
    throw Error(ErrorCode::unsupported, name_ + ": entry '" + entry.name + "' is encrypted");
  }
  // Sizes in the local header may be zero (data descriptor); the central directory's win.
  const uint64_t start = offset + kLocalSize + file.u16le_at(offset + 26) + file.u16le_at(offset + 28);
  if (!file.has(start, entry.compressed_size)) {
    fail("entry '" + entry.name + "': data [" + std::to_string(start) + ", +" +
         std::to_string(entry.compressed_size) + ") lies outside the file (" +
         std::to_string(size) + " bytes; truncated?)");
  }
  return file.bytes_at(start, entry.compressed_size, "entry data");
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
