// safetensors: hand-made files decode to the right fp32 values; the fixture's header
// validates; the corrupt-input table gives the expected codes and messages.
#include "io/safetensors.hpp"

#include <gtest/gtest.h>

#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

namespace fs = std::filesystem;
using clipkit::testing::expect_error;
using clipkit::testing::f32_bytes;
using clipkit::testing::fixtures_dir;
using clipkit::testing::make_safetensors;
using clipkit::testing::read_bytes;
using clipkit::testing::TempDir;
using clipkit::testing::write_bytes;

TEST(Safetensors, DecodesF32F16Bf16) {
  std::vector<uint8_t> data = f32_bytes({1.0f, -2.5f, 3.0f, 0.25f});   // a: F32 [2,2]
  for (uint8_t b : {0x00, 0x3c, 0x00, 0xc0}) data.push_back(b);       // h: F16 1, -2
  for (uint8_t b : {0x80, 0x3f, 0x40, 0xc0}) data.push_back(b);       // b: BF16 1, -3
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},)"
      R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]},)"
      R"("s":{"dtype":"F32","shape":[0],"data_offsets":[24,24]}})";
  TempDir tmp;
  write_bytes(tmp.path() / "t.safetensors", make_safetensors(header, data));
  const SafetensorsFile file(tmp.path() / "t.safetensors");
  ASSERT_EQ(file.tensors().size(), 4u);
  const TensorSet set = file.read_all();
  EXPECT_EQ(set.tensors.at("a").shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(set.tensors.at("a").data, (std::vector<float>{1.0f, -2.5f, 3.0f, 0.25f}));
  EXPECT_EQ(set.tensors.at("h").data, (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(set.tensors.at("b").data, (std::vector<float>{1.0f, -3.0f}));
  EXPECT_TRUE(set.tensors.at("s").data.empty());
  EXPECT_EQ(set.stored_elements.at(DType::f32), 4);
  EXPECT_EQ(set.dominant_dtype(), "f32");
}

TEST(Safetensors, FixtureHeaderValidates) {
  const SafetensorsFile file(fixtures_dir() / "models/tiny_gelu/hf/model.safetensors");
  EXPECT_GT(file.tensors().size(), 40u);
  for (const auto& e : file.tensors()) EXPECT_EQ(e.dtype, DType::f16) << e.name;
}

struct Case {
  std::string label;
  std::vector<uint8_t> bytes;
  ErrorCode code;
  std::vector<std::string> fragments;
};

std::vector<uint8_t> one_tensor(const std::string& entry, size_t data_bytes) {
  return make_safetensors(R"({"w":)" + entry + "}", std::vector<uint8_t>(data_bytes, 0));
}

TEST(Safetensors, CorruptInputTable) {
  const auto fixture = read_bytes(fixtures_dir() / "models/tiny_gelu/hf/model.safetensors");
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | fixture[static_cast<size_t>(i)];
  std::vector<Case> cases;
  cases.push_back({"empty file", {}, ErrorCode::corrupt_data, {"0 bytes", "too short"}});
  cases.push_back({"cut in the length", {fixture.begin(), fixture.begin() + 5},
                   ErrorCode::corrupt_data, {"5 bytes"}});
  cases.push_back({"cut in the header", {fixture.begin(), fixture.begin() + 100},
                   ErrorCode::corrupt_data,
                   {"header length " + std::to_string(header_size), "exceeds the 92 bytes"}});
  // Keep the header, drop most data: the last tensors' offsets fall outside.
  cases.push_back({"cut in the data",
                   {fixture.begin(), fixture.begin() + static_cast<std::ptrdiff_t>(8 + header_size + 1000)},
                   ErrorCode::corrupt_data, {"data_offsets", "out of bounds", "1000-byte data section"}});
  {
    auto bad = fixture;
    const uint64_t claimed = fixture.size();
    for (int i = 0; i < 8; ++i) bad[static_cast<size_t>(i)] = static_cast<uint8_t>(claimed >> (8 * i));
    cases.push_back({"header length larger than the file", bad, ErrorCode::corrupt_data,
                     {"header length " + std::to_string(claimed), "exceeds"}});
  }
  {
    auto bad = fixture;
    for (int i = 0; i < 8; ++i) bad[static_cast<size_t>(i)] = 0xff;
    cases.push_back({"header length 2^64-1", bad, ErrorCode::corrupt_data, {"exceeds"}});
  }
  cases.push_back({"offsets out of bounds",
                   one_tensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8000]})", 8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "[0, 8000]", "out of bounds"}});
  cases.push_back({"begin after end",
                   one_tensor(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})", 8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "out of bounds"}});
  cases.push_back({"unknown dtype F64",
                   one_tensor(R"({"dtype":"F64","shape":[1],"data_offsets":[0,8]})", 8),
                   ErrorCode::unsupported, {"tensor 'w'", "dtype F64"}});
  cases.push_back({"unknown dtype I8",
                   one_tensor(R"({"dtype":"I8","shape":[8],"data_offsets":[0,8]})", 8),
                   ErrorCode::unsupported, {"tensor 'w'", "dtype I8"}});
  cases.push_back({"wrong byte size for the shape",
                   one_tensor(R"({"dtype":"F16","shape":[3],"data_offsets":[0,8]})", 8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "holds 8 bytes", "expected", "= 6 bytes"}});
  cases.push_back({"shape product overflows",
                   one_tensor(R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})", 8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "overflows"}});
  cases.push_back({"negative extent",
                   one_tensor(R"({"dtype":"F32","shape":[-2],"data_offsets":[0,8]})", 8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "non-count"}});
  // Issue 15: the error message dumped the shape, recursing once per level (stack overflow).
  cases.push_back({"shape nested 200000 deep",
                   one_tensor(R"({"dtype":"F32","shape":[)" + std::string(200000, '[') + std::string(200000, ']') +
                                  R"(],"data_offsets":[0,8]})",
                              8),
                   ErrorCode::corrupt_data, {"tensor 'w'", "non-count entry: an array of 1 entries"}});
  cases.push_back({"missing data_offsets", one_tensor(R"({"dtype":"F32","shape":[2]})", 8),
                   ErrorCode::corrupt_data, {"data_offsets"}});
  cases.push_back({"bad header JSON", make_safetensors(R"({"w": {"dtype": )", {}),
                   ErrorCode::corrupt_data, {"not valid JSON"}});
  cases.push_back({"header is an array", make_safetensors("[1,2]", {}), ErrorCode::corrupt_data,
                   {"not a JSON object"}});
  {
    auto bad = fixture;
    bad[8 + header_size / 2] = '\x01';  // a control byte inside the JSON
    cases.push_back({"garbled header", bad, ErrorCode::corrupt_data, {"not valid JSON"}});
  }
  TempDir tmp;
  for (const Case& c : cases) {
    const fs::path path = tmp.path() / "bad.safetensors";
    write_bytes(path, c.bytes);
    for (auto f : c.fragments) {
      expect_error([&] { SafetensorsFile file(path); }, c.code, {"bad.safetensors", f}, c.label);
    }
  }
  expect_error([&] { SafetensorsFile file(tmp.path() / "absent.safetensors"); },
               ErrorCode::not_found, {"absent.safetensors"}, "missing file");
}

}  // namespace
}  // namespace clipkit::io
