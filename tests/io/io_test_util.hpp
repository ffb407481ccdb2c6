// Helpers for the io tests: error expectations, a tiny zip writer (stored entries)
// for hand-made archives, and byte builders for safetensors images.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "clipkit/error.hpp"
#include "support/test_support.hpp"  // expect_error

namespace clipkit::testing {

inline void put_le(std::vector<uint8_t>& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

struct ZipInput {
  std::string name;
  std::vector<uint8_t> data;
};

// A zip of STORED entries, like torch writes (no data descriptors, CRC left 0 —
// readers here do not check it). With `zip64`, the end record is the zip64 kind
// and the classic one holds 0xffff.. placeholders.
inline std::vector<uint8_t> make_zip(const std::vector<ZipInput>& files, bool zip64 = false) {
  std::vector<uint8_t> out;
  std::vector<uint64_t> offsets;
  for (const ZipInput& f : files) {
    offsets.push_back(out.size());
    put_le(out, 0x04034b50, 4);
    put_le(out, 20, 2);  // version
    put_le(out, 0, 2);   // flags
    put_le(out, 0, 2);   // stored
    put_le(out, 0, 4);   // time, date
    put_le(out, 0, 4);   // crc
    put_le(out, f.data.size(), 4);
    put_le(out, f.data.size(), 4);
    put_le(out, f.name.size(), 2);
    put_le(out, 0, 2);
    out.insert(out.end(), f.name.begin(), f.name.end());
    out.insert(out.end(), f.data.begin(), f.data.end());
  }
  const uint64_t cd_offset = out.size();
  for (size_t i = 0; i < files.size(); ++i) {
    const ZipInput& f = files[i];
    put_le(out, 0x02014b50, 4);
    put_le(out, 20, 2);
    put_le(out, 20, 2);
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, 0, 4);
    put_le(out, 0, 4);
    put_le(out, f.data.size(), 4);
    put_le(out, f.data.size(), 4);
    put_le(out, f.name.size(), 2);
    put_le(out, zip64 ? 12 : 0, 2);  // extra
    put_le(out, 0, 2);               // comment
    put_le(out, 0, 2);
    put_le(out, 0, 2);
    put_le(out, 0, 4);
    put_le(out, zip64 ? 0xffffffff : offsets[i], 4);
    out.insert(out.end(), f.name.begin(), f.name.end());
    if (zip64) {
      put_le(out, 0x0001, 2);
      put_le(out, 8, 2);
      put_le(out, offsets[i], 8);
    }
  }
  const uint64_t cd_size = out.size() - cd_offset;
  if (zip64) {
    const uint64_t end64 = out.size();
    put_le(out, 0x06064b50, 4);
    put_le(out, 44, 8);
    put_le(out, 45, 2);
    put_le(out, 45, 2);
    put_le(out, 0, 4);
    put_le(out, 0, 4);
    put_le(out, files.size(), 8);
    put_le(out, files.size(), 8);
    put_le(out, cd_size, 8);
    put_le(out, cd_offset, 8);
    put_le(out, 0x07064b50, 4);
    put_le(out, 0, 4);
    put_le(out, end64, 8);
    put_le(out, 1, 4);
  }
  put_le(out, 0x06054b50, 4);
  put_le(out, 0, 2);
  put_le(out, 0, 2);
  put_le(out, zip64 ? 0xffff : files.size(), 2);
  put_le(out, zip64 ? 0xffff : files.size(), 2);
  put_le(out, zip64 ? 0xffffffff : cd_size, 4);
  put_le(out, zip64 ? 0xffffffff : cd_offset, 4);
  put_le(out, 0, 2);
  return out;
}

inline std::vector<uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

// A safetensors image: 8-byte length, `header` verbatim, then `data`.
inline std::vector<uint8_t> make_safetensors(const std::string& header,
                                             const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out;
  put_le(out, header.size(), 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::vector<uint8_t> f32_bytes(const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * 4);
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

// Assembles pickle opcodes by hand (protocol 2 binary opcodes).
struct PickleBuilder {
  std::vector<uint8_t> bytes;

  PickleBuilder& op(uint8_t code) {
    bytes.push_back(code);
    return *this;
  }
  PickleBuilder& raw(std::string_view s) {
    bytes.insert(bytes.end(), s.begin(), s.end());
    return *this;
  }
  PickleBuilder& proto(uint8_t version = 2) { return op(0x80).op(version); }
  PickleBuilder& mark() { return op('('); }
  PickleBuilder& stop() { return op('.'); }
  PickleBuilder& str(std::string_view s) {
    op('X');
    put_le(bytes, s.size(), 4);
    return raw(s);
  }
  PickleBuilder& short_str(std::string_view s) {
    op(0x8c).op(static_cast<uint8_t>(s.size()));
    return raw(s);
  }
  PickleBuilder& int1(uint8_t v) { return op('K').op(v); }
  PickleBuilder& int2(uint16_t v) {
    op('M');
    put_le(bytes, v, 2);
    return *this;
  }
  PickleBuilder& int4(int32_t v) {
    op('J');
    put_le(bytes, static_cast<uint32_t>(v), 4);
    return *this;
  }
  PickleBuilder& global(std::string_view module, std::string_view name) {
    op('c').raw(module).op('\n').raw(name).op('\n');
    return *this;
  }
  PickleBuilder& tuple() { return op('t'); }
  PickleBuilder& empty_tuple() { return op(')'); }
  PickleBuilder& empty_dict() { return op('}'); }
  PickleBuilder& setitems() { return op('u'); }
  PickleBuilder& reduce() { return op('R'); }
  PickleBuilder& ints_tuple(std::initializer_list<uint8_t> values) {
    mark();
    for (uint8_t v : values) int1(v);
    return tuple();
  }
  PickleBuilder& ordered_dict() { return global("collections", "OrderedDict").empty_tuple().reduce(); }
  // _rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride,
  //                    False, OrderedDict())
  PickleBuilder& tensor(std::string_view storage_type, std::string_view key, uint8_t numel,
                        uint8_t offset, std::initializer_list<uint8_t> size,
                        std::initializer_list<uint8_t> stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", storage_type).str(key).str("cpu").int1(numel).tuple();
    op('Q');
    int1(offset).ints_tuple(size).ints_tuple(stride).op(0x89).ordered_dict();
    return tuple().reduce();
  }
};

}  // namespace clipkit::testing
