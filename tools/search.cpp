// clipkit search — the indexed images closest to a text, an image file, or an indexed image.
#include "clipkit/cluster.hpp"
#include "common.hpp"

namespace clipkit::tools {

void add_search(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    std::string db, nats, text, image, like;
    int deadline_ms = 2000;
    size_t k = 10;
    std::optional<float> threshold;
    bool exact = false, hnsw = false, json = false;
    size_t ef = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("search", "find indexed images by text, by an image file, or like an indexed image");
  add_model_options(*sub, args->model, true);
  auto* db = sub->add_option("--db", args->db, "the index database file");
  sub->add_option("--nats", args->nats, "search a clipkit cluster instead (NATS URL or comma-separated list)")
      ->excludes(db);
  sub->add_option("--deadline", args->deadline_ms, "with --nats: milliseconds to wait for the shards")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  sub->add_option("text", args->text, "what to look for, in words");
  sub->add_option("-i,--image", args->image, "an image file to look for");
  sub->add_option("--like", args->like, "an indexed file: images like it");
  sub->add_option("-k", args->k, "how many results")->check(CLI::Range(1, 1000000))->capture_default_str();
  sub->add_option("--threshold", args->threshold, "leave out results scoring below this (cosine)")
      ->check(CLI::Range(-1.0, 1.0));
  auto* exact = sub->add_flag("--exact", args->exact, "exact search even when an HNSW graph exists");
  sub->add_flag("--hnsw", args->hnsw, "search the HNSW graph (built first if missing or stale)")->excludes(exact);
  sub->add_option("--ef", args->ef, "HNSW search breadth (default max(4k, 128))")->check(CLI::Range(1, 100000));
  sub->footer(
      "Prints one line per result: rank<TAB>score<TAB>path, with a backslash, tab, newline or carriage return in a "
      "path written as \\\\ \\t \\n \\r.");
  sub->add_flag("--json", args->json,
                "print JSON: {\"results\": [{\"rank\", \"score\", \"id\", \"path\"}]}; a path that is not valid UTF-8 "
                "shows invalid bytes as U+FFFD and adds \"path_b64\", its exact bytes in base64");
  sub->callback([args, &out] {
    const int queries = !args->text.empty() + !args->image.empty() + !args->like.empty();
    if (queries != 1)
      throw Error(ErrorCode::invalid_argument, "give exactly one query: TEXT, --image FILE or --like PATH");
    require_utf8(args->text, "the query TEXT");
    if (args->db.empty() == args->nats.empty()) throw Error(ErrorCode::invalid_argument, "give --db FILE or --nats URL");
    if (!args->nats.empty()) {
      if (!args->like.empty()) throw Error(ErrorCode::invalid_argument, "--like needs --db (a cluster search takes TEXT or --image)");
      Clip clip = load_clip_for_cluster(args->model, args->nats);
      auto query = normalized(args->text.empty() ? clip.embed_image_file(args->image) : clip.embed_text(args->text));
      cluster::SearchRequest request;
      request.k = args->k;
      request.threshold = args->threshold;
      request.deadline = std::chrono::milliseconds(args->deadline_ms);
      print_cluster_search(cluster::search(args->nats, query, request), args->json, out);
      return;
    }
    auto index = ImageIndex::open(args->db, false);
    SearchOptions options;
    options.k = args->k;
    options.threshold = args->threshold;
    options.ef = args->ef;
    options.method = args->exact ? SearchMethod::exact : args->hnsw ? SearchMethod::hnsw : SearchMethod::automatic;
    std::vector<float> query;
    if (!args->like.empty()) {
      auto file = index->find(args->like);
      if (!file) throw Error(ErrorCode::not_found, args->like + ": not in " + args->db);
      if (!file->error.empty()) throw Error(ErrorCode::not_found, args->like + ": indexed without a vector (" + file->error + ")");
      query = index->vector(file->id);
      options.exclude = file->id;
    } else {
      std::optional<Clip> clip = load_clip_for_index(args->model, *index);
      if (!clip) clip = load_clip(args->model);
      query = normalized(args->text.empty() ? clip->embed_image_file(args->image) : clip->embed_text(args->text));
    }
    if (options.method == SearchMethod::hnsw && !index->stats().hnsw_fresh) index->build_hnsw();
    auto hits = index->search(query, options);
    if (args->json) {
      nlohmann::json list = nlohmann::json::array();
      for (size_t i = 0; i < hits.size(); ++i) {
        nlohmann::json hit = {{"rank", i + 1}, {"score", hits[i].score}, {"id", hits[i].id}};
        put_path(hit, "path", hits[i].path);
        list.push_back(std::move(hit));
      }
      out << json_text(nlohmann::json{{"results", list}}) << "\n";
      return;
    }
    // rank, score, path: a tab, newline or backslash in a path is escaped (\t \n \\).
    for (size_t i = 0; i < hits.size(); ++i)
      out << i + 1 << "\t" << fixed(hits[i].score) << "\t" << tsv_field(hits[i].path) << "\n";
  });
}

}  // namespace clipkit::tools
