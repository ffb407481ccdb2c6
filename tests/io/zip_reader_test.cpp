// The zip reader on hand-made archives (stored, zip64, deflated) and on the torch
// fixture, plus the corrupt-archive table.
#include "io/zip_reader.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::bytes_of;
using clipkit::testing::expect_error;
using clipkit::testing::fixtures_dir;
using clipkit::testing::make_zip;
using clipkit::testing::read_bytes;

std::string as_string(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

TEST(ZipReader, ReadsStoredEntries) {
  const auto zip = make_zip({{"arch/data.pkl", bytes_of("pickle")}, {"arch/data/0", bytes_of("0123")}});
  ZipReader reader(zip, "t.zip");
  ASSERT_EQ(reader.entries().size(), 2u);
  EXPECT_EQ(reader.entries()[0].name, "arch/data.pkl");
  ASSERT_NE(reader.find("arch/data/0"), nullptr);
  EXPECT_EQ(as_string(reader.stored_data(*reader.find("arch/data/0"))), "0123");
  EXPECT_EQ(as_string(reader.read(*reader.find("arch/data.pkl"))), "pickle");
  EXPECT_EQ(reader.find("arch/data/1"), nullptr);
}

TEST(ZipReader, ReadsZip64Records) {
  const auto zip = make_zip({{"a/x", bytes_of("hello")}, {"a/y", bytes_of("")}}, /*zip64=*/true);
  ZipReader reader(zip, "t64.zip");
  ASSERT_EQ(reader.entries().size(), 2u);
  EXPECT_EQ(as_string(reader.stored_data(reader.entries()[0])), "hello");
  EXPECT_TRUE(reader.stored_data(reader.entries()[1]).empty());
}

TEST(ZipReader, SkipsATrailingComment) {
  auto zip = make_zip({{"a/x", bytes_of("hi")}});
  zip[zip.size() - 2] = 5;  // comment length
  for (char c : std::string("notes")) zip.push_back(static_cast<uint8_t>(c));
  ZipReader reader(zip, "c.zip");
  EXPECT_EQ(as_string(reader.stored_data(reader.entries()[0])), "hi");
}

TEST(ZipReader, InflatesDeflatedEntries) {
  const std::string text(1000, 'z');
  std::vector<uint8_t> packed(256);
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = packed.data();
  zs.avail_out = static_cast<uInt>(packed.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  packed.resize(zs.total_out);
  deflateEnd(&zs);

  auto zip = make_zip({{"a/d", packed}});
  // Patch method (local +8, central +10) and the uncompressed sizes (local +22, central +24).
  const size_t central = zip.size() - 22 - (46 + 3);
  zip[8] = 8;
  zip[central + 10] = 8;
  for (size_t off : {size_t{22}, central + 24}) {
    zip[off] = static_cast<uint8_t>(text.size() & 0xff);
    zip[off + 1] = static_cast<uint8_t>(text.size() >> 8);
  }
  ZipReader reader(zip, "d.zip");
  EXPECT_EQ(as_string(reader.read(reader.entries()[0])), text);
  expect_error([&] { reader.stored_data(reader.entries()[0]); }, ErrorCode::unsupported,
               {"d.zip", "'a/d'", "compressed (method 8)"});
}

TEST(ZipReader, FindsTorchFixtureEntries) {
  const auto bytes = read_bytes(fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  ZipReader reader(bytes, "model.jit.pt");
  const ZipEntry* pkl = reader.find("model.jit/data.pkl");
  ASSERT_NE(pkl, nullptr);
  const auto data = reader.stored_data(*pkl);
  ASSERT_GE(data.size(), 2u);
  EXPECT_EQ(data[0], 0x80);  // PROTO
  EXPECT_EQ(data[data.size() - 1], '.');  // STOP
  EXPECT_TRUE(pkl->flags & 0x8);  // torch writes data descriptors
}

TEST(ZipReader, CorruptArchiveTable) {
  const auto good = make_zip({{"a/data.pkl", bytes_of("0123456789")}});
  const size_t central = good.size() - 22 - (46 + 10);
  struct Case {
    const char* label;
    std::vector<uint8_t> bytes;
    ErrorCode code;
    std::vector<std::string_view> fragments;
    bool fail_on_read = false;
  };
  std::vector<Case> cases;
  cases.push_back({"empty", {}, ErrorCode::corrupt_data, {"z.zip", "0 bytes"}});
  cases.push_back({"not a zip", bytes_of(std::string(100, 'x')), ErrorCode::corrupt_data,
                   {"not a zip archive or truncated"}});
  {
    auto cut = good;
    cut.resize(good.size() - 5);  // end record cut
    cases.push_back({"end record cut", cut, ErrorCode::corrupt_data, {"no end-of-central-directory"}});
  }
  {
    auto bad = good;
    bad[bad.size() - 6] = 0xf0;  // central directory offset far past the end
    cases.push_back({"directory out of bounds", bad, ErrorCode::corrupt_data,
                     {"central directory", "outside the file"}});
  }
  {
    auto bad = good;
    bad[bad.size() - 12] = 200;  // 200 entries in a one-entry directory
    cases.push_back({"entry count too large", bad, ErrorCode::corrupt_data, {"claims 200 entries"}});
  }
  {
    auto bad = good;
    bad[central + 42 + 3] = 0x7f;  // local header offset
    cases.push_back({"local header out of bounds", bad, ErrorCode::corrupt_data,
                     {"'a/data.pkl'", "local header offset"}});
  }
  {
    auto bad = good;
    bad[central + 20] = 0xff;  // compressed size 255 > what is there
    bad[central + 24] = 0xff;
    cases.push_back({"entry data past the end", bad, ErrorCode::corrupt_data,
                     {"'a/data.pkl'", "outside the file"}, true});
  }
  {
    auto bad = good;
    bad[central + 10] = 12;  // bzip2
    cases.push_back({"unsupported method", bad, ErrorCode::unsupported, {"method 12"}, true});
  }
  {
    auto bad = good;
    bad[0] = 'Q';  // local header signature
    cases.push_back({"bad local header", bad, ErrorCode::corrupt_data, {"no local header"}, true});
  }
  {
    auto bad = good;
    bad[central] = 'Q';  // central header signature
    cases.push_back({"bad central header", bad, ErrorCode::corrupt_data,
                     {"central directory entry 0"}});
  }
  for (const Case& c : cases) {
    std::vector<std::string_view> all = c.fragments;
    auto run = [&] {
      ZipReader reader(c.bytes, "z.zip");
      if (c.fail_on_read) reader.read(reader.entries().at(0));
    };
    for (auto f : all) expect_error(run, c.code, {f}, c.label);
  }
}

}  // namespace
}  // namespace clipkit::io
