// The checked reader: values in both byte orders, the cursor, sub-readers, and refusals
// that name the data, the read and the offset, without overflowing on hostile sizes.
#include "core/byte_reader.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"
#include "support/test_support.hpp"

namespace clipkit::core {
namespace {

using clipkit::testing::expect_error;

const std::vector<uint8_t> kBytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};

TEST(ByteReader, ReadsBothByteOrdersAtOffsets) {
  const ByteReader r(kBytes, "x.bin");
  EXPECT_EQ(r.size(), 10u);
  EXPECT_EQ(r.u8_at(9), 0x0a);
  EXPECT_EQ(r.u16le_at(0), 0x0201);
  EXPECT_EQ(r.u16be_at(0), 0x0102);
  EXPECT_EQ(r.u32le_at(1), 0x05040302u);
  EXPECT_EQ(r.u32be_at(1), 0x02030405u);
  EXPECT_EQ(r.u64le_at(2), 0x0a09080706050403u);
  EXPECT_EQ(r.u64be_at(2), 0x030405060708090au);
  EXPECT_EQ(r.uint_n_at(7, 3, Endian::little), 0x0a0908u);
  EXPECT_EQ(r.uint_n_at(7, 3, Endian::big), 0x08090au);
  EXPECT_EQ(r.uint_n_at(10, 0, Endian::big), 0u);
  EXPECT_EQ(r.bytes_at(8, 2, "tail")[1], 0x0a);
  EXPECT_TRUE(r.has(10, 0));
  EXPECT_TRUE(r.has(0, 10));
  EXPECT_FALSE(r.has(9, 2));
  EXPECT_FALSE(r.has(11, 0));
  EXPECT_EQ(r.remaining(4), 6u);
  EXPECT_EQ(r.remaining(12), 0u);
}

TEST(ByteReader, CursorAdvancesAndStopsAtTheEnd) {
  ByteReader r(kBytes, "x.bin");
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16le(), 0x0302);
  EXPECT_EQ(r.u16be(), 0x0405);
  EXPECT_EQ(r.offset(), 5u);
  EXPECT_EQ(r.remaining(), 5u);
  r.skip(1);
  EXPECT_EQ(r.u32le(), 0x0a090807u);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.rest().empty());
  r.seek(6);
  EXPECT_EQ(r.u32be(), 0x0708090au);
  r.seek(2);
  EXPECT_EQ(r.rest().size(), 8u);
  EXPECT_EQ(r.bytes(3, "three")[2], 0x05);
  EXPECT_EQ(r.uint_n(2, Endian::big), 0x0607u);
  EXPECT_EQ(r.offset(), 7u);
  r.seek(0);
  EXPECT_EQ(r.u64le(), 0x0807060504030201u);
  r.seek(2);
  EXPECT_EQ(r.u64be(), 0x030405060708090au);
  // A failed read leaves the cursor where it was.
  EXPECT_THROW(r.u8(), Error);
  EXPECT_EQ(r.offset(), 10u);
}

TEST(ByteReader, SubReaderKeepsFileOffsetsInItsErrors) {
  const ByteReader r(kBytes, "x.zip");
  ByteReader entry = r.sub(4, 4, "entry");
  EXPECT_EQ(entry.size(), 4u);
  EXPECT_EQ(entry.u16le_at(0), 0x0605);
  EXPECT_EQ(entry.u8_at(3), 0x08);
  expect_error([&] { entry.u32le_at(2, "entry size"); }, ErrorCode::corrupt_data,
               {"x.zip: truncated entry size (needs bytes 6..10, the data ends at byte 8)"});
  ByteReader inner = entry.sub(1, 2, "inner");
  expect_error([&] { inner.skip(3, "inner field"); }, ErrorCode::corrupt_data,
               {"truncated inner field (needs bytes 5..8, the data ends at byte 7)"});
}

TEST(ByteReader, RefusalsNameTheDataTheReadAndTheOffset) {
  ByteReader r(kBytes, "x.bmp");
  struct Case {
    const char* label;
    std::function<void()> read;
    std::initializer_list<std::string_view> fragments;
  };
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const Case cases[] = {
      {"u32 across the end", [&] { r.u32le_at(8, "BMP header"); },
       {"x.bmp: truncated BMP header (needs bytes 8..12, the data ends at byte 10)"}},
      {"u8 past the end", [&] { r.u8_at(10); }, {"truncated data (needs bytes 10..11"}},
      {"require a huge length", [&] { r.require(14, 2147483647, "BMP info header"); },
       {"truncated BMP info header", "needs bytes 14..2147483661"}},
      {"length that overflows", [&] { r.bytes_at(5, kMax, "payload"); },
       {"needs bytes 5..5+18446744073709551615"}},
      {"offset far past the end", [&] { r.u16be_at(kMax - 1, "chunk"); }, {"needs bytes 18446744073709551614.."}},
      {"seek past the end", [&] { r.seek(11, "IFD offset"); }, {"truncated IFD offset (needs bytes 11..11"}},
      {"skip past the end", [&] { r.skip(11, "padding"); }, {"truncated padding (needs bytes 0..11"}},
      {"sub past the end", [&] { r.sub(6, 5, "entry"); }, {"truncated entry (needs bytes 6..11"}},
  };
  for (const Case& c : cases) expect_error(c.read, ErrorCode::corrupt_data, c.fragments, c.label);
}

TEST(ByteReader, EmptyData) {
  ByteReader r({}, "empty");
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.has(0, 0));
  EXPECT_TRUE(r.bytes(0).empty());
  expect_error([&] { r.u8("magic"); }, ErrorCode::corrupt_data,
               {"empty: truncated magic (needs bytes 0..1, the data ends at byte 0)"});
}

}  // namespace
}  // namespace clipkit::core
