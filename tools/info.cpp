// clipkit info — what a checkpoint holds.
#include "common.hpp"

namespace clipkit::tools {

namespace {

// "224 px, patch 32, width 768, 12 layers, 12 heads" (ViT) or "224 px, ResNet stages
// 3-4-6-3 (16 blocks), width 64, attention pool 2048 wide, 32 heads".
std::string vision_summary(const ModelConfig& c) {
  std::string s = std::to_string(c.image_resolution) + " px, ";
  if (c.vision_stages.empty())
    return s + "patch " + std::to_string(c.vision_patch_size) + ", width " + std::to_string(c.vision_width) + ", " +
           std::to_string(c.vision_layers) + " layers, " + std::to_string(c.vision_heads) + " heads";
  std::string stages;
  for (int blocks : c.vision_stages) stages += (stages.empty() ? "" : "-") + std::to_string(blocks);
  return s + "ResNet stages " + stages + " (" + std::to_string(c.vision_layers) + " blocks), width " +
         std::to_string(c.vision_width) + ", attention pool " + std::to_string(c.vision_width * 32) + " wide, " +
         std::to_string(c.vision_heads) + " heads";
}

}  // namespace

void add_info(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("info", "format, architecture, dimensions, activation, dtype, parameters");
  add_model_options(*sub, args->model, false);
  sub->add_flag("--json", args->json, "print JSON");
  sub->callback([args, &out] {
    const ModelArgs resolved = resolve_model_names(args->model);
    ModelOptions options = clip_options(resolved).model;
    options.threads = 1;
    auto model = Model::load(resolve_model_path(resolved), options);
    auto j = model_json(*model);
    if (args->json) {
      out << j.dump() << "\n";
      return;
    }
    const ModelConfig& c = model->config();
    out << "path:          " << model->info().path.string() << "\n"
        << "family:        " << model->info().family << "\n"
        << "format:        " << model->info().format << "\n"
        << "architecture:  " << model->info().architecture << "\n";
    if (!model->info().text_model_path.empty())
      out << "text model:    " << model->info().text_model_path.string() << " (" << model->info().text_family << ", "
          << model->info().text_architecture << ", " << model->info().text_format << ")\n";
    out
        << "dtype:         " << model->info().dtype << "\n"
        << "activation:    " << to_string(c.activation) << "\n"
        << "parameters:    " << model->info().parameters << "\n"
        << "embed_dim:     " << c.embed_dim << "\n"
        << "vision:        " << vision_summary(c) << "\n"
        << "text:          context " << c.context_length << ", vocab " << c.vocab_size << ", width " << c.text_width
        << ", " << c.text_layers << " layers, " << c.text_heads << " heads\n"
        << "logit_scale:   " << model->logit_scale() << "\n";
    if (model->scoring() == Scoring::sigmoid) out << "logit_bias:    " << model->logit_bias() << "\n";
    out << "scores:        "
        << (model->scoring() == Scoring::sigmoid ? "sigmoid per label (independent probabilities)"
                                                 : "softmax over the labels")
        << "\n";
    for (const auto& [what, value] : model->info().choices) {
      const std::string label = what + ":";
      out << label << std::string(label.size() < 15 ? 15 - label.size() : 1, ' ') << value << "\n";
    }
  });
}

}  // namespace clipkit::tools
