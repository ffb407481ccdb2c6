// tests/image/decode_errors_test.cpp — the table of bad inputs: each must give its
// error code and a message that names the file, never a crash or a partial image.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::images_dir;

struct BadInput {
  std::string label;
  fs::path path;
  ErrorCode code;
  uint64_t max_pixels = 100'000'000;
};

std::vector<uint8_t> file_bytes(const std::string& name) {
  return testing::read_bytes(images_dir() / name);
}

std::vector<uint8_t> first_half(std::vector<uint8_t> bytes) {
  bytes.resize(bytes.size() / 2);
  return bytes;
}

TEST(DecodeErrors, TableOfBadInputs) {
  const testing::TempDir dir;
  auto write = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    testing::write_bytes(dir.path() / name, bytes);
    return dir.path() / name;
  };
  std::vector<uint8_t> random_bytes(4096);
  std::mt19937 rng(1234);
  for (auto& b : random_bytes) b = uint8_t(rng());
  random_bytes[0] = 0x42;  // not a magic number of any supported format
  random_bytes[1] = 0x00;

  // A JPEG whose SOF segment is garbled: its length field claims 2 bytes.
  std::vector<uint8_t> garbled = file_bytes("rocket.jpg");
  for (size_t i = 2; i + 4 < garbled.size(); ++i) {
    if (garbled[i] == 0xFF && garbled[i + 1] == 0xC0) {
      garbled[i + 2] = 0x00, garbled[i + 3] = 0x02;
      break;
    }
  }
  std::vector<uint8_t> bad_magic_jpeg = file_bytes("chelsea_q50_420.jpg");
  bad_magic_jpeg.resize(64);  // SOI and JFIF, then nothing

  const std::vector<BadInput> table = {
      {"truncated progressive JPEG", images_dir() / "chelsea_truncated.jpg",
       ErrorCode::corrupt_data},
      {"empty file", write("empty.png", {}), ErrorCode::corrupt_data},
      {"random bytes", write("random.jpg", random_bytes), ErrorCode::unsupported},
      {"PNG cut in half", write("half.png", first_half(file_bytes("chelsea.png"))),
       ErrorCode::corrupt_data},
      {"baseline JPEG cut in half", write("half.jpg", first_half(file_bytes("rocket.jpg"))),
       ErrorCode::corrupt_data},
      {"JPEG with a garbled header", write("garbled.jpg", garbled), ErrorCode::corrupt_data},
      {"JPEG headers only", write("headers.jpg", bad_magic_jpeg), ErrorCode::corrupt_data},
      {"WebP cut in half", write("half.webp", first_half(file_bytes("chelsea.webp"))),
       ErrorCode::corrupt_data},
      {"BMP cut in half", write("half.bmp", first_half(file_bytes("chelsea.bmp"))),
       ErrorCode::corrupt_data},
      {"PNG over max_pixels", images_dir() / "chelsea_small.png", ErrorCode::resource_exhausted,
       64 * 42 - 1},
      {"JPEG over max_pixels", images_dir() / "rocket.jpg", ErrorCode::resource_exhausted, 1000},
      {"WebP over max_pixels", images_dir() / "chelsea.webp", ErrorCode::resource_exhausted, 1000},
      {"BMP over max_pixels", images_dir() / "chelsea.bmp", ErrorCode::resource_exhausted, 1000},
      {"nonexistent path", dir.path() / "no_such_image.png", ErrorCode::not_found},
      {"a folder", dir.path(), ErrorCode::invalid_argument},
  };
  for (const BadInput& bad : table) {
    SCOPED_TRACE(bad.label);
    DecodeOptions options;
    options.max_pixels = bad.max_pixels;
    try {
      const Image img = decode_image_file(bad.path, options);
      ADD_FAILURE() << "decoded " << img.width << "x" << img.height << " without an error";
    } catch (const Error& e) {
      std::printf("  %-28s %-18s %s\n", bad.label.c_str(), to_string(e.code()), e.what());
      EXPECT_EQ(to_string(e.code()), std::string(to_string(bad.code))) << e.what();
      EXPECT_NE(std::string(e.what()).find(bad.path.filename().string()), std::string::npos)
          << "message does not name the file: " << e.what();
    }
  }
}

TEST(DecodeErrors, MaxPixelsIsInclusive) {
  DecodeOptions options;
  options.max_pixels = 64 * 42;  // exactly chelsea_small.png
  EXPECT_EQ(decode_image_file(images_dir() / "chelsea_small.png", options).width, 64);
}

TEST(DecodeErrors, HugeClaimedSizeIsRefusedBeforeDecoding) {
  // chelsea_small.png with IHDR rewritten to 60000 x 60000 (CRC fixed up by libpng's
  // own check being the thing we must not reach: the pixel cap comes first).
  std::vector<uint8_t> png = file_bytes("chelsea_small.png");
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = uint8_t(v >> (24 - 8 * i));
  };
  put32(16, 60000);
  put32(20, 60000);
  // CRC-32 of the IHDR chunk (type + 13 data bytes), so libpng accepts the header.
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 12; i < 12 + 4 + 13; ++i) {
    crc ^= png[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  put32(29, crc ^ 0xFFFFFFFFu);
  try {
    decode_image_memory(png, "huge.png");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::resource_exhausted) << e.what();
  }
}

}  // namespace
}  // namespace clipkit
