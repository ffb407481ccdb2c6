// cluster_images DIR N [SIZE] — writes N distinct pictures (SIZE×SIZE 24-bit BMP, 64 by
// default: a coloured background with a few rectangles and discs, seeded by the file's
// number) for the loopback cluster test and bench/cluster_throughput. Same N, same files.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: cluster_images DIR N [SIZE]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const int n = std::atoi(argv[2]);
  std::filesystem::create_directories(dir);
  const int side = argc == 4 ? std::atoi(argv[3]) : 64;
  if (side < 4 || side > 4096 || side % 4 != 0) {
    std::fprintf(stderr, "cluster_images: SIZE must be a multiple of 4 from 4 to 4096\n");
    return 2;
  }
  const int W = side, H = side, row = W * 3;  // a multiple of 4 bytes: no padding
  for (int i = 0; i < n; ++i) {
    std::mt19937 rng(static_cast<uint32_t>(1000 + i));
    auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<uint8_t> px(static_cast<size_t>(row * H));
    const int bg[3] = {u(0, 255), u(0, 255), u(0, 255)};
    for (int p = 0; p < W * H; ++p)
      for (int c = 0; c < 3; ++c) px[static_cast<size_t>(p * 3 + c)] = static_cast<uint8_t>(bg[c]);
    const int shapes = u(1, 4);
    for (int s = 0; s < shapes; ++s) {
      const int col[3] = {u(0, 255), u(0, 255), u(0, 255)};
      const int cx = u(0, W - 1), cy = u(0, H - 1), r = u(W / 16, W * 3 / 8);
      const bool disc = u(0, 1) == 1;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const int dx = x - cx, dy = y - cy;
          if (disc ? dx * dx + dy * dy > r * r : (std::abs(dx) > r || std::abs(dy) > r / 2)) continue;
          for (int c = 0; c < 3; ++c) px[static_cast<size_t>((y * W + x) * 3 + c)] = static_cast<uint8_t>(col[c]);
        }
    }
    auto le32 = [](std::vector<uint8_t>& b, uint32_t v) {
      for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
    };
    std::vector<uint8_t> file = {'B', 'M'};
    le32(file, static_cast<uint32_t>(54 + px.size()));
    le32(file, 0);
    le32(file, 54);
    le32(file, 40);
    le32(file, W);
    le32(file, H);
    file.insert(file.end(), {1, 0, 24, 0});
    le32(file, 0);
    le32(file, static_cast<uint32_t>(px.size()));
    le32(file, 2835);
    le32(file, 2835);
    le32(file, 0);
    le32(file, 0);
    file.insert(file.end(), px.begin(), px.end());  // BGR, bottom-up: any order makes a distinct picture
    char name[32];
    std::snprintf(name, sizeof name, "img%04d.bmp", i);
    std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(file.data()),
                                                       static_cast<std::streamsize>(file.size()));
  }
  return 0;
}
