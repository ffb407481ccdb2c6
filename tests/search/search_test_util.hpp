// Helpers for the search tests: the tiny fixture model, generated images, and running
// the clipkit binary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit::testing {

// The tiny QuickGELU fixture (open_clip folder), or the GELU one (a different model).
Clip tiny_clip(bool gelu = false);
std::vector<std::string> tiny_model_args(bool gelu = false);  // --model … --vocab …

// A 24-bit BMP of width × height whose pixels are a function of `seed` (distinct seeds
// give distinct images).
void write_bmp(const std::filesystem::path& path, int width, int height, uint32_t seed);

// Sets a file's mtime `seconds` into the past (so a rewrite is seen as a change).
void age_file(const std::filesystem::path& path, int seconds);

using CliResult = CommandResult;  // run_clipkit: support/test_support.hpp

}  // namespace clipkit::testing
