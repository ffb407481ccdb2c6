// clipkit classify — zero-shot labels for one image (the original SDK's report), or
// for every image of an index (--db), with prompt-template ensembling.
#include <algorithm>
#include <unordered_map>

#include "common.hpp"

namespace clipkit::tools {

namespace {

// One unit vector per label: the mean of its normalized template embeddings, renormalized
// (CLIP's prompt ensembling).
std::vector<float> label_embeddings(const Clip& clip, const std::vector<std::string>& labels,
                                    const std::vector<std::string>& templates) {
  const size_t dim = static_cast<size_t>(clip.model().embed_dim());
  std::vector<float> out(labels.size() * dim, 0.0f);
  for (size_t l = 0; l < labels.size(); ++l) {
    std::vector<std::string> prompts;
    for (const std::string& t : templates) {
      const size_t at = t.find("{}");
      prompts.push_back(t.substr(0, at) + labels[l] + t.substr(at + 2));
    }
    std::vector<float> e = clip.embed_texts(prompts);
    normalize_rows(e, dim);
    for (size_t p = 0; p < prompts.size(); ++p)
      for (size_t d = 0; d < dim; ++d) out[l * dim + d] += e[p * dim + d];
  }
  normalize_rows(out, dim);
  return out;
}

void classify_index(const std::string& db, const ModelArgs& model_args, const std::vector<std::string>& labels,
                    std::vector<std::string> templates, bool json, std::ostream& out) {
  for (size_t i = 0; i < templates.size(); ++i) require_utf8(templates[i], "--template #" + std::to_string(i + 1));
  if (templates.empty()) templates.push_back("a photo of a {}.");
  for (const std::string& t : templates)
    if (t.find("{}") == std::string::npos)
      throw Error(ErrorCode::invalid_argument, "template '" + t + "' has no {} for the label");
  auto index = ImageIndex::open(db, false);
  std::optional<Clip> clip = load_clip_for_index(model_args, *index);
  if (!clip) clip = load_clip(model_args);
  const size_t dim = static_cast<size_t>(clip->model().embed_dim());
  const std::vector<float> texts = label_embeddings(*clip, labels, templates);
  std::vector<int64_t> ids;
  std::vector<float> vectors;
  index->all_vectors(ids, vectors);
  std::unordered_map<int64_t, std::string> paths;
  for (const auto& f : index->files()) paths.emplace(f.id, f.path);
  nlohmann::json list = nlohmann::json::array();
  // CLIP: softmax probabilities ("prob"); SigLIP: independent sigmoids ("sigmoid").
  const std::string column = clip->model().scoring() == Scoring::sigmoid ? "sigmoid" : "prob";
  if (!json) {
    out << "path,label," << column;
    for (const auto& l : labels) out << "," << csv_field(column + ":" + l);
    out << "\n";
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    std::span<const float> image(vectors.data() + i * dim, dim);
    auto probs = label_scores(image, texts, clip->model());
    const size_t best = static_cast<size_t>(std::max_element(probs.begin(), probs.end()) - probs.begin());
    if (json) {
      nlohmann::json p;
      for (size_t l = 0; l < labels.size(); ++l) p[labels[l]] = probs[l];
      nlohmann::json row = {{"id", ids[i]}, {"label", labels[best]}, {"prob", probs[best]}, {"probs", p}};
      put_path(row, "path", paths[ids[i]]);
      list.push_back(std::move(row));
      continue;
    }
    out << csv_field(paths[ids[i]]) << "," << csv_field(labels[best]) << "," << fixed(probs[best]);
    for (float p : probs) out << "," << fixed(p);
    out << "\n";
  }
  if (json)
    out << json_text(nlohmann::json{{"labels", labels},
                                    {"templates", templates},
                                    {"scoring", to_string(clip->model().scoring())},
                                    {"images", list}})
        << "\n";
}

}  // namespace

void add_classify(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    std::string image;
    std::vector<std::string> texts;
    std::string db;
    std::vector<std::string> templates;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "classify",
      "label probabilities of one image against texts (softmax for CLIP, a sigmoid per label for SigLIP), or of "
      "every image in an index (--db)");
  add_model_options(*sub, args->model, true);
  auto* image = sub->add_option("-i,--image", args->image, "the image file");
  sub->add_option("-t,--text,-l,--label", args->texts, "a candidate label (repeat)")->required();
  sub->add_option("--db", args->db, "label every image of this index instead (CSV, or JSON with --json)")
      ->excludes(image);
  sub->add_option("--template", args->templates,
                  "with --db: a prompt with {} for the label (repeat to ensemble; default \"a photo of a {}.\")");
  sub->add_flag("--json", args->json, "print JSON");
  sub->callback([args, &out] {
    for (size_t i = 0; i < args->texts.size(); ++i)
      require_utf8(args->texts[i], "--text/--label #" + std::to_string(i + 1));
    if (!args->db.empty()) return classify_index(args->db, args->model, args->texts, args->templates, args->json, out);
    if (args->image.empty()) throw Error(ErrorCode::invalid_argument, "give --image FILE (or --db FILE)");
    if (!args->templates.empty()) throw Error(ErrorCode::invalid_argument, "--template goes with --db");
    Clip clip = load_clip(args->model);
    std::vector<float> image = normalized(clip.embed_image_file(args->image));
    std::vector<float> texts = clip.embed_texts(args->texts);
    const size_t dim = static_cast<size_t>(clip.model().embed_dim());
    normalize_rows(texts, dim);
    auto probs = label_scores(image, texts, clip.model());
    const bool sigmoid = clip.model().scoring() == Scoring::sigmoid;
    if (args->json) {
      // "prob": softmax over the texts (CLIP) or each text's own sigmoid (SigLIP), as "scoring" says.
      nlohmann::json j = {{"dimension", dim}, {"scoring", to_string(clip.model().scoring())},
                          {"image_embedding", floats_json(image)}};
      put_path(j, "image", args->image);
      for (size_t i = 0; i < args->texts.size(); ++i) {
        std::span<const float> t(texts.data() + i * dim, dim);
        j["texts"].push_back({{"text", args->texts[i]},
                              {"embedding", floats_json(t)},
                              {"similarity", cosine_similarity(image, t)},
                              {"prob", probs[i]}});
      }
      out << json_text(j) << "\n";
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
    // SigLIP's scores are independent per label: they need not sum to 1.
    out << (sigmoid ? "Label scores (sigmoid, independent per label): [" : "Label probs: [");
    for (size_t i = 0; i < probs.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(probs[i]));
      out << (i ? ", " : "") << buf;
    }
    out << "]\n";
  });
}

}  // namespace clipkit::tools
