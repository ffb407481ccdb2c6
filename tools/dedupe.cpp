// clipkit dedupe — groups of near-duplicate images in an index.
#include "common.hpp"

namespace clipkit::tools {

void add_dedupe(CLI::App& app, std::ostream& out) {
  struct Args {
    std::string db;
    float threshold = 0.95f;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("dedupe", "groups of near-duplicate images (cosine >= threshold, linked)");
  sub->add_option("--db", args->db, "the index database file")->required();
  sub->add_option("--threshold", args->threshold, "cosine similarity that makes two images duplicates")
      ->check(CLI::Range(-1.0, 1.0))
      ->capture_default_str();
  sub->add_flag("--json", args->json, "print JSON");
  sub->callback([args, &out] {
    auto index = ImageIndex::open(args->db, false);
    auto groups = index->duplicates(args->threshold);
    if (args->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& group : groups) {
        nlohmann::json members = nlohmann::json::array();
        for (const auto& m : group) {
          nlohmann::json member = {{"id", m.id}, {"score", m.score}};
          put_path(member, "path", m.path);
          members.push_back(std::move(member));
        }
        list.push_back(members);
      }
      out << json_text(nlohmann::json{{"threshold", args->threshold}, {"groups", list}}) << "\n";
      return;
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      out << "group " << g + 1 << " (" << groups[g].size() << " images)\n";
      for (const auto& m : groups[g]) out << "  " << fixed(m.score) << "\t" << tsv_field(m.path) << "\n";
    }
    out << groups.size() << " groups of near-duplicates at threshold " << fixed(args->threshold, 2) << "\n";
  });
}

}  // namespace clipkit::tools
