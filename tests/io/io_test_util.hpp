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

namespace clipkit::testing {

// Runs `fn`, which must throw clipkit::Error with `code` and a message containing
// every fragment.
inline void expect_error(const std::function<void()>& fn, ErrorCode code,
                         std::initializer_list<std::string_view> fragments,
                         const std::string& label = "") {
  try {
    fn();
    ADD_FAILURE() << label << ": no error thrown, expected " << to_string(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << label << ": got " << to_string(e.code()) << ": " << e.what();
    for (auto f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos)
          << label << ": message lacks '" << f << "': " << e.what();
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": threw a non-clipkit exception: " << e.what();
  }
}

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

}  // namespace clipkit::testing
