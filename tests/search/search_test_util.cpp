#include "search/search_test_util.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sys/wait.h>

#include "support/test_support.hpp"

namespace clipkit::testing {

namespace fs = std::filesystem;

Clip tiny_clip(bool gelu) {
  ClipOptions options;
  options.vocab = bpe_vocab();
  options.model.threads = 2;
  return Clip::load(fixtures_dir() / "models" / (gelu ? "tiny_gelu" : "tiny_quickgelu") / "open_clip", options);
}

std::vector<std::string> tiny_model_args(bool gelu) {
  return {"--model", (fixtures_dir() / "models" / (gelu ? "tiny_gelu" : "tiny_quickgelu") / "open_clip").string(),
          "--vocab", bpe_vocab().string()};
}

void write_bmp(const fs::path& path, int width, int height, uint32_t seed) {
  fs::create_directories(path.parent_path());
  const uint32_t row = static_cast<uint32_t>((width * 3 + 3) & ~3);
  const uint32_t data = row * static_cast<uint32_t>(height), size = 54 + data;
  std::vector<uint8_t> b(size, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
  };
  b[0] = 'B';
  b[1] = 'M';
  put32(2, size);
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(width));
  put32(22, static_cast<uint32_t>(height));
  b[26] = 1;
  b[28] = 24;
  put32(34, data);
  // Smooth colour fields with seed-dependent frequencies and phases: distinct, and
  // far enough apart that a tiny model tells them apart.
  uint32_t s = seed * 2654435761u + 12345u;
  auto next = [&] { return (s = s * 1664525u + 1013904223u) >> 8; };
  const int fx = 1 + static_cast<int>(next() % 7), fy = 1 + static_cast<int>(next() % 7);
  const int px = static_cast<int>(next() % 256), py = static_cast<int>(next() % 256), pc = static_cast<int>(next() % 256);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &b[54 + static_cast<size_t>(y) * row + static_cast<size_t>(x) * 3];
      p[0] = static_cast<uint8_t>(x * fx * 256 / width + px);
      p[1] = static_cast<uint8_t>(y * fy * 256 / height + py);
      p[2] = static_cast<uint8_t>(((x / (4 + fx)) ^ (y / (4 + fy))) * 37 + pc);
    }
  write_bytes(path, b);
}

void age_file(const fs::path& path, int seconds) {
  fs::last_write_time(path, fs::last_write_time(path) - std::chrono::seconds(seconds));
}

}  // namespace clipkit::testing
