// tests/image/pillow_fixtures.hpp — the small files of tests/data/image-formats/ and
// what Pillow 9.4 makes of each (expected.json, written by make_fixtures.py there).
//
//   expect_pillow_fixtures("bmp_");   // every bmp_* file: same mode, size and bytes as
//                                     // Pillow (and the same RGB), or an error where
//                                     // Pillow raises one
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "clipkit/error.hpp"
#include "clipkit/image.hpp"
#include "image/convert.hpp"
#include "support/test_support.hpp"

namespace clipkit::testing {

inline std::filesystem::path image_formats_dir() {
  return source_dir() / "tests" / "data" / "image-formats";
}

inline std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> bytes(hex.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return bytes;
}

// "" when equal, else the first differing index and both values.
inline std::string first_difference(const std::vector<uint8_t>& expected,
                                    const std::vector<uint8_t>& actual) {
  if (expected.size() != actual.size()) {
    return "size " + std::to_string(actual.size()) + ", expected " + std::to_string(expected.size());
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != actual[i]) {
      return "byte " + std::to_string(i) + " is " + std::to_string(actual[i]) + ", expected " +
             std::to_string(expected[i]);
    }
  }
  return "";
}

// Checks every fixture whose name starts with `prefix`; returns how many were compared
// pixel for pixel (the rest are files Pillow refuses, which must give an error here).
inline int expect_pillow_fixtures(const std::string& prefix) {
  const nlohmann::json expected = read_json(image_formats_dir() / "expected.json");
  int pixel_cases = 0, error_cases = 0;
  DecodeOptions options;
  options.apply_exif_orientation = false;  // as Image.open leaves the pixels
  for (const auto& [file, want] : expected["files"].items()) {
    if (file.rfind(prefix, 0) != 0) continue;
    SCOPED_TRACE(file);
    const auto path = image_formats_dir() / file;
    if (want.contains("error")) {
      ++error_cases;
      try {
        const Image img = decode_image_file(path, options);
        ADD_FAILURE() << "decoded " << img.width << "x" << img.height << " " << to_string(img.mode)
                      << "; Pillow says " << want["error"].get<std::string>();
      } catch (const Error& e) {
        EXPECT_TRUE(e.code() == ErrorCode::corrupt_data || e.code() == ErrorCode::unsupported)
            << to_string(e.code()) << ": " << e.what();
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      }
      continue;
    }
    ++pixel_cases;
    const Image img = decode_image_file(path, options);
    EXPECT_EQ(to_string(img.mode), want["mode"].get<std::string>());
    EXPECT_EQ(img.width, want["size"][0].get<int>());
    EXPECT_EQ(img.height, want["size"][1].get<int>());
    EXPECT_EQ(first_difference(from_hex(want["pixels"]), img.pixels), "") << "pixels";
    EXPECT_EQ(first_difference(from_hex(want["rgb"]), image::to_rgb(img)), "") << "as RGB";
  }
  EXPECT_GT(pixel_cases + error_cases, 0) << "no fixtures named " << prefix << "*";
  std::printf("  %s*: %d files pixel-exact with Pillow, %d refused as Pillow refuses them\n",
              prefix.c_str(), pixel_cases, error_cases);
  return pixel_cases;
}

}  // namespace clipkit::testing
