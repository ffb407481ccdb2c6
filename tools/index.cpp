// clipkit index — embed the images under folders into an index database, incrementally.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "common.hpp"

namespace clipkit::tools {

namespace {

// On a terminal: one redrawn line with a bar. Otherwise: a plain line every few seconds.
class Progress {
 public:
  explicit Progress(bool quiet) : quiet_(quiet), tty_(isatty(STDERR_FILENO) == 1) {}
  void operator()(const IndexProgress& p) {
    if (quiet_ || p.total == 0) return;
    const bool last = p.done == p.total;
    if (!tty_ && !last && p.seconds - last_print_ < 5.0) return;
    last_print_ = p.seconds;
    const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0;
    char line[256];
    if (tty_) {
      constexpr int kWidth = 28;
      const int filled = static_cast<int>(kWidth * p.done / p.total);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(kWidth, '.');
      std::snprintf(line, sizeof line, "\r[%s] %zu/%zu  %.1f images/s  ETA %.0fs  errors %zu\x1b[K", bar.c_str(), p.done,
                    p.total, rate, eta, p.errors);
      std::cerr << line << (last ? "\n" : "") << std::flush;
    } else {
      std::snprintf(line, sizeof line, "indexed %zu/%zu (%.1f images/s, ETA %.0fs, %zu errors)\n", p.done, p.total, rate,
                    eta, p.errors);
      std::cerr << line << std::flush;
    }
  }

 private:
  bool quiet_, tty_;
  double last_print_ = -1e9;
};

}  // namespace

void add_index(CLI::App& app, std::ostream& out) {
  struct Args {
    ModelArgs model;
    std::string db;
    std::vector<std::string> paths;
    size_t batch = 32;
    bool fp16 = false;
    bool hnsw = false;
    size_t hnsw_m = 32, hnsw_ef = 200;
    int decode_threads = 0;
    bool json = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "index", "embed the images under folders into an index (incremental: only new and changed files are embedded)");
  add_model_options(*sub, args->model, true);
  sub->add_option("--db", args->db, "the index database file (created if absent)")->required();
  sub->add_option("paths", args->paths, "folders (walked recursively) and image files")->required();
  sub->add_option("--batch", args->batch, "images per model call and per commit")->check(CLI::Range(1, 4096))->capture_default_str();
  sub->add_flag("--fp16", args->fp16, "store vectors as fp16 (half the size; new databases only)");
  sub->add_flag("--hnsw", args->hnsw, "also build the HNSW graph (done anyway from 50,000 images)");
  sub->add_option("--hnsw-m", args->hnsw_m, "HNSW links per node")->check(CLI::Range(2, 256))->capture_default_str();
  sub->add_option("--hnsw-ef", args->hnsw_ef, "HNSW build breadth")->check(CLI::Range(1, 100000))->capture_default_str();
  sub->add_option("--decode-threads", args->decode_threads, "image decoding threads (default: half the cores)")
      ->check(CLI::Range(0, 256));
  sub->add_flag("--json", args->json, "print the report as JSON");
  sub->add_flag("-q,--quiet", args->quiet, "no progress on stderr");
  sub->callback([args, &out] {
    auto index = ImageIndex::open(args->db);
    std::optional<Clip> clip = load_clip_for_index(args->model, *index);
    if (!clip) clip = load_clip(args->model);  // says how to pass a model
    std::vector<std::filesystem::path> roots(args->paths.begin(), args->paths.end());
    IndexOptions options;
    options.batch = args->batch;
    options.vector_type = args->fp16 ? VectorType::f16 : VectorType::f32;
    options.decode_threads = args->decode_threads;
    Progress progress(args->quiet || args->json);
    options.progress = [&progress](const IndexProgress& p) { progress(p); };
    IndexReport r = index->add(*clip, roots, options);
    IndexStats stats = index->stats();
    bool built_hnsw = false;
    double hnsw_seconds = 0;
    if ((args->hnsw || stats.vectors >= ImageIndex::kHnswThreshold) && !stats.hnsw_fresh && stats.vectors > 0) {
      if (!args->quiet && !args->json) std::cerr << "building the HNSW graph over " << stats.vectors << " vectors…\n";
      const auto start = std::chrono::steady_clock::now();
      index->build_hnsw({.m = args->hnsw_m, .ef_construction = args->hnsw_ef, .threads = args->model.threads});
      hnsw_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      built_hnsw = true;
    }
    if (args->json) {
      nlohmann::json errors = nlohmann::json::array();
      for (const auto& [path, reason] : r.error_files) {
        nlohmann::json e = {{"error", utf8_for_display(reason)}};
        put_path(e, "path", path);
        errors.push_back(std::move(e));
      }
      nlohmann::json j = {{"scanned", r.scanned},   {"unchanged", r.unchanged}, {"embedded", r.embedded},
                          {"renamed", r.renamed},   {"reused", r.reused},       {"removed", r.removed},
                          {"errors", r.errors},     {"repaired", r.repaired},   {"error_files", errors},
                          {"seconds", r.seconds},   {"files", stats.files},     {"vectors", stats.vectors},
                          {"hnsw_built", built_hnsw}, {"hnsw_seconds", hnsw_seconds}};
      put_path(j, "db", args->db);
      out << json_text(j) << "\n";
      return;
    }
    for (const auto& [path, reason] : r.error_files) out << "error: " << reason << "\n";
    out << "scanned " << r.scanned << " files: " << r.embedded << " embedded, " << r.renamed << " renamed, "
        << r.reused << " reused, " << r.unchanged << " unchanged, " << r.removed << " removed, " << r.errors
        << " errors";
    if (r.repaired > 0) out << ", re-embedded " << r.repaired << " damaged";
    out << " in " << fixed(r.seconds, 1) << "s";
    if (r.embedded > 0 && r.seconds > 0) out << " (" << fixed(static_cast<double>(r.embedded) / r.seconds, 1) << " images/s)";
    out << "\n" << args->db << ": " << stats.vectors << " images, " << stats.errors << " unreadable";
    if (built_hnsw) out << "; HNSW built in " << fixed(hnsw_seconds, 1) << "s";
    out << "\n";
  });
}

}  // namespace clipkit::tools
