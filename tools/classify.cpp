// clipkit classify — zero-shot labels for one image: the original SDK's report.
#include "common.hpp"

namespace clipkit::tools {

void add_classify(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    std::string image;
    std::vector<std::string> texts;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("classify", "similarity and label probabilities of one image against texts");
  add_model_options(*sub, args->model, true);
  sub->add_option("-i,--image", args->image, "the image file")->required();
  sub->add_option("-t,--text", args->texts, "a candidate label (repeat)")->required();
  sub->add_flag("--json", args->json, "print JSON");
  sub->callback([args, &out] {
    Clip clip = load_clip(args->model);
    std::vector<float> image = normalized(clip.embed_image_file(args->image));
    std::vector<float> texts = clip.embed_texts(args->texts);
    const size_t dim = static_cast<size_t>(clip.model().embed_dim());
    normalize_rows(texts, dim);
    auto probs = label_probs(image, texts, clip.model().logit_scale());
    if (args->json) {
      nlohmann::json j = {{"image", args->image}, {"dimension", dim}, {"image_embedding", floats_json(image)}};
      for (size_t i = 0; i < args->texts.size(); ++i) {
        std::span<const float> t(texts.data() + i * dim, dim);
        j["texts"].push_back({{"text", args->texts[i]},
                              {"embedding", floats_json(t)},
                              {"similarity", cosine_similarity(image, t)},
                              {"prob", probs[i]}});
      }
      out << j.dump() << "\n";
      return;
    }
    out << "Texts: " << nlohmann::json(args->texts).dump() << "\n";
    out << "Image: " << args->image << "\n";
    out << "Vector dimension: " << dim << "\n";
    out << "Image embedding: " << abbreviated(image) << "\n";
    char buf[64];
    for (size_t i = 0; i < args->texts.size(); ++i) {
      std::span<const float> t(texts.data() + i * dim, dim);
      std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * cosine_similarity(image, t));
      out << "Text: " << args->texts[i] << "\n";
      out << "  Text embedding: " << abbreviated(t) << "\n";
      out << "  Similarity: " << buf << "\n";
    }
    out << "Label probs: [";
    for (size_t i = 0; i < probs.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(probs[i]));
      out << (i ? ", " : "") << buf;
    }
    out << "]\n";
  });
}

}  // namespace clipkit::tools
