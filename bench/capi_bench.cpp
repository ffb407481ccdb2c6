// capi_bench — what the C API's boundary costs per call: clipkit_embed_texts of one
// short text and clipkit_embed_image_files of 16 images against the same C++ calls
// (Clip::embed_texts, Clip::embed_image_files) on the same loaded model. The C side
// adds argument checks, std::string / path copies, the try/catch and the copy into the
// caller's buffer.
//
//   build/bench/capi_bench [MODEL VOCAB] [--reps N]
//
// Without MODEL: the shared fixture tiny_quickgelu (a tiny model, where the overhead is
// the largest share of a call).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "capi/handles.hpp"
#include "clipkit/clipkit.h"
#include "clipkit/model.hpp"

namespace {

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// min / median / max milliseconds of `reps` runs after 3 warm-up runs.
void time_it(const char* name, int reps, const std::function<void()>& run) {
  for (int i = 0; i < 3; ++i) run();
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-34s min %9.4f  median %9.4f  max %9.4f ms\n", name, ms.front(), ms[ms.size() / 2], ms.back());
}

void check(clipkit_status status) {
  if (status != CLIPKIT_OK) {
    std::fprintf(stderr, "capi_bench: %s\n", clipkit_last_error());
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shared = CLIPKIT_SHARED_DIR;
  std::string model_path = shared + "/fixtures/models/tiny_quickgelu/model.jit.pt";
  std::string vocab = shared + "/data/clip/bpe_simple_vocab_16e6.txt.gz";
  int reps = 200;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
    else positional.push_back(argv[i]);
  }
  if (positional.size() == 2) model_path = positional[0], vocab = positional[1];

  clipkit_load_options options;
  clipkit_load_options_init(&options);
  options.vocab = vocab.c_str();
  clipkit_model* model = nullptr;
  check(clipkit_model_load(model_path.c_str(), &options, &model));
  const clipkit::Clip& clip = model->clip;  // the same loaded model, through C++
  const size_t dim = static_cast<size_t>(clip.model().embed_dim());

  std::vector<std::string> images;
  for (const char* name : {"CLIP.png", "astronaut.png", "camera.png", "checker_bilevel.png", "chelsea.bmp",
                           "chelsea.png", "chelsea.webp", "chelsea_cmyk.jpg", "chelsea_exif3.jpg", "chelsea_gray.jpg",
                           "chelsea_palette_trns.png", "chelsea_progressive.jpg", "chelsea_small.png", "coffee.png",
                           "logo.png", "rocket.jpg"})
    images.push_back(shared + "/data/images/" + name);
  std::vector<const char*> image_ptrs;
  for (const auto& p : images) image_ptrs.push_back(p.c_str());
  const std::vector<std::filesystem::path> image_paths(images.begin(), images.end());

  std::printf("capi_bench: %s, %s, %d threads, %s\nmodel %s (%zu-d), %d reps\n", cpu_name().c_str(),
              clipkit::compute_backend().c_str(), clip.model().threads(), clipkit_version(), model_path.c_str(), dim,
              reps);

  const char* text = "a photo of a cat";
  const std::vector<std::string> texts = {text};
  std::vector<float> out(16 * dim);
  time_it("C++ Clip::embed_texts (1 text)", reps, [&] { auto v = clip.embed_texts(texts); });
  time_it("C   clipkit_embed_texts (1 text)", reps, [&] { check(clipkit_embed_texts(model, &text, 1, 0, out.data(), dim)); });
  time_it("C++ Clip::embed_image_files (16)", reps / 10 + 1, [&] { auto v = clip.embed_image_files(image_paths); });
  time_it("C   clipkit_embed_image_files (16)", reps / 10 + 1,
          [&] { check(clipkit_embed_image_files(model, image_ptrs.data(), 16, 0, out.data(), out.size())); });
  // The boundary alone: a call refused at its first check (no model work).
  time_it("C   refused call (NULL out)", reps, [&] { (void)clipkit_embed_texts(model, &text, 1, 0, nullptr, dim); });
  clipkit_model_free(model);
}
