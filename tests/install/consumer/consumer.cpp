// The C++ API from an installed clipkit (find_package(clipkit) → clipkit::clipkit): loads
// the default model (no path: the emoji model installed beside libclipkit.so) and scores
// an image against texts. Prints "path P", "version V", "dim N", then "prob I P" per text.
// Usage: consumer IMAGE TEXT...
#include <clipkit/clipkit.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: consumer IMAGE TEXT...\n");
    return 2;
  }
  try {
    const auto path = clipkit::default_model_path();
    if (!path) {
      std::fprintf(stderr, "consumer: no default model\n");
      return 1;
    }
    const clipkit::Clip clip = clipkit::Clip::load(*path);
    const std::vector<std::string> labels(argv + 2, argv + argc);
    const std::vector<float> image = clipkit::normalized(clip.embed_image_file(argv[1]));
    std::vector<float> texts = clip.embed_texts(labels);
    clipkit::normalize_rows(texts, clip.model().embed_dim());
    const std::vector<float> probs = clipkit::label_probs(image, texts, clip.model().logit_scale());
    std::printf("path %s\nversion %s\ndim %zu\n", path->c_str(), clipkit::version(),
                static_cast<size_t>(clip.model().embed_dim()));
    for (size_t i = 0; i < probs.size(); ++i) std::printf("prob %zu %.6f\n", i, probs[i]);
  } catch (const clipkit::Error& e) {
    // Caught by type across the library boundary: its typeinfo is exported.
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
  return 0;
}
