// The seed SDK's example, on clipkit's public API: "a diagram", "a dog", "a cat"
// against CLIP.png — the similarity of each text and the label probabilities.
//
//   image_text_search MODEL [IMAGE] [--vocab FILE]
//   image_text_search ViT-B-32.pt CLIP.png --vocab bpe_simple_vocab_16e6.txt.gz
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "clipkit/clipkit.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  clipkit::ClipOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--vocab" && i + 1 < argc) {
      options.vocab = argv[++i];
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    std::cerr << "usage: image_text_search MODEL [IMAGE] [--vocab FILE]\n";
    return 2;
  }
  const std::string image_path = positional.size() > 1 ? positional[1] : "CLIP.png";
  const std::vector<std::string> texts = {"a diagram", "a dog", "a cat"};

  try {
    clipkit::Clip clip = clipkit::Clip::load(positional[0], options);
    const size_t dim = static_cast<size_t>(clip.model().embed_dim());

    std::vector<float> image = clipkit::normalized(clip.embed_image_file(image_path));
    std::vector<float> text_features = clip.embed_texts(texts);
    clipkit::normalize_rows(text_features, dim);
    std::vector<float> probs = clipkit::label_probs(image, text_features, clip.model().logit_scale());

    auto print_vector = [](std::span<const float> v) {
      std::printf("[");
      for (size_t i = 0; i < v.size(); ++i) {
        if (v.size() > 6 && i == 3) {
          std::printf("..., ");
          i = v.size() - 3;
        }
        std::printf("%.4f%s", static_cast<double>(v[i]), i + 1 < v.size() ? ", " : "");
      }
      std::printf("]\n");
    };

    std::printf("Texts: [\"a diagram\", \"a dog\", \"a cat\"]\n");
    std::printf("Image: %s\n", image_path.c_str());
    std::printf("Vector dimension: %zu\n", dim);
    std::printf("Image embedding: ");
    print_vector(image);
    for (size_t i = 0; i < texts.size(); ++i) {
      std::span<const float> t(text_features.data() + i * dim, dim);
      std::printf("Text: %s\n  Text embedding: ", texts[i].c_str());
      print_vector(t);
      std::printf("  Similarity: %.2f%%\n", 100.0 * clipkit::cosine_similarity(image, t));
    }
    std::printf("Label probs: [");
    for (size_t i = 0; i < probs.size(); ++i) std::printf("%s%.4f", i ? ", " : "", static_cast<double>(probs[i]));
    std::printf("]\n");
  } catch (const clipkit::Error& e) {
    std::cerr << "image_text_search: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
