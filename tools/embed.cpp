// clipkit embed — image and text embeddings as JSON.
#include "common.hpp"

namespace clipkit::tools {

void add_embed(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    std::vector<std::string> images;
    std::vector<std::string> texts;
    bool json = true;
    bool raw = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("embed", "image and text embeddings");
  add_model_options(*sub, args->model, true);
  sub->add_option("-i,--image", args->images, "an image file (repeat)");
  sub->add_option("-t,--text", args->texts, "a text (repeat)");
  sub->add_flag("--json", args->json, "print JSON (the only output format)");
  sub->add_flag("--raw", args->raw, "the unnormalized projection instead of unit vectors");
  sub->callback([args, &out] {
    if (args->images.empty() && args->texts.empty())
      throw Error(ErrorCode::invalid_argument, "nothing to embed: give --image FILE and/or --text TEXT");
    for (size_t i = 0; i < args->texts.size(); ++i) require_utf8(args->texts[i], "--text #" + std::to_string(i + 1));
    Clip clip = load_clip(args->model);
    const size_t dim = static_cast<size_t>(clip.model().embed_dim());
    nlohmann::json j = {{"model", model_json(clip.model())},
                        {"images", nlohmann::json::array()},
                        {"texts", nlohmann::json::array()}};
    if (!args->images.empty()) {
      std::vector<std::filesystem::path> paths(args->images.begin(), args->images.end());
      auto features = clip.embed_image_files(paths);
      if (!args->raw) normalize_rows(features, dim);
      for (size_t i = 0; i < paths.size(); ++i) {
        nlohmann::json image = {{"embedding", floats_json(std::span(features).subspan(i * dim, dim))}};
        put_path(image, "path", args->images[i]);
        j["images"].push_back(std::move(image));
      }
    }
    if (!args->texts.empty()) {
      auto tokens = clip.tokenize(args->texts);
      auto features = clip.model().encode_tokens(tokens, args->texts.size());
      if (!args->raw) normalize_rows(features, dim);
      const size_t ctx = static_cast<size_t>(clip.model().context_length());
      for (size_t i = 0; i < args->texts.size(); ++i)
        j["texts"].push_back({{"text", args->texts[i]},
                              {"tokens", std::vector<int32_t>(tokens.begin() + i * ctx, tokens.begin() + (i + 1) * ctx)},
                              {"embedding", floats_json(std::span(features).subspan(i * dim, dim))}});
    }
    out << json_text(j) << "\n";
  });
}

}  // namespace clipkit::tools
