// clipkit enqueue / worker / shard / cluster — embedding and search across machines on
// NATS JetStream (docs/cluster.md). worker and shard run until SIGINT or SIGTERM.
#include <csignal>
#include <iostream>

#include "clipkit/cluster.hpp"
#include "common.hpp"

namespace clipkit::tools {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
cluster::StopFlag stop_on_signals() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  return [] { return g_stop != 0; };
}
cluster::Log log_to_stderr(bool quiet) {
  if (quiet) return {};
  return [](const std::string& line) { std::cerr << line << "\n" << std::flush; };
}

void add_nats_option(CLI::App& sub, std::string& url, bool required = true) {
  auto* o = sub.add_option("--nats", url, "NATS server URL, or a comma-separated list of the cluster's servers");
  if (required) o->required();
}

nlohmann::json answer_json(const cluster::ShardAnswer& a) {
  nlohmann::json j = {{"shard", a.shard}, {"replica", a.replica}, {"vectors", a.vectors}, {"lag", a.lag},
                      {"method", a.method}};
  if (!a.error.empty()) j["error"] = a.error;
  return j;
}

}  // namespace

// --model, else $CLIPKIT_MODEL, else the model the cluster records (when that path
// exists here), else the default; checked against the cluster's model.
Clip load_clip_for_cluster(const ModelArgs& args, const std::string& nats) {
  ModelArgs chosen = args;
  const std::optional<ModelIdentity> recorded = cluster::model(nats);
  const char* env = std::getenv("CLIPKIT_MODEL");
  std::error_code ec;
  if (chosen.model.empty() && !(env && *env) && recorded && !recorded->model_path.empty() &&
      std::filesystem::exists(recorded->model_path, ec)) {
    chosen.model = recorded->model_path;
    if (chosen.text_model.empty()) chosen.text_model = recorded->text_model_path;
    if (chosen.vocab.empty()) chosen.vocab = recorded->vocab_path;
  }
  Clip clip = load_clip(chosen);
  if (recorded) {
    const ModelIdentity mine = identify(clip);
    if (!same_model(*recorded, mine))
      throw Error(ErrorCode::invalid_argument, "the cluster at " + nats + " holds vectors of another model (" +
                                                   recorded->model_path + ", " + recorded->description +
                                                   "); this one is " + mine.model_path + ", " + mine.description);
  }
  return clip;
}

void print_cluster_search(const cluster::ClusterSearch& found, bool json, std::ostream& out) {
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < found.hits.size(); ++i) {
      nlohmann::json hit = {{"rank", i + 1}, {"score", found.hits[i].score}, {"shard", found.hits[i].shard}};
      put_path(hit, "path", found.hits[i].path);
      list.push_back(std::move(hit));
    }
    nlohmann::json answers = nlohmann::json::array();
    for (const auto& a : found.answers) answers.push_back(answer_json(a));
    out << json_text(nlohmann::json{{"results", list},
                                    {"shards", found.shards},
                                    {"answered", answers},
                                    {"missing", found.missing},
                                    {"partial", found.partial()}})
        << "\n";
    return;
  }
  for (size_t i = 0; i < found.hits.size(); ++i)
    out << i + 1 << "\t" << fixed(found.hits[i].score) << "\t" << tsv_field(found.hits[i].path) << "\n";
  // Which shards answered goes to stderr, so that stdout stays the same shape as a local search.
  std::cerr << found.answers.size() << " of " << found.shards << " shards answered";
  for (const auto& a : found.answers)
    if (a.lag > 0 || !a.error.empty())
      std::cerr << "; shard " << a.shard << " (" << a.replica << ")" << (a.lag ? " lags " + std::to_string(a.lag) : "")
                << (a.error.empty() ? "" : " error: " + a.error);
  std::cerr << "\n";
  if (found.partial()) {
    std::string missing;
    for (int s : found.missing) missing += (missing.empty() ? "" : ", ") + std::to_string(s);
    std::cerr << "clipkit: warning: PARTIAL results: shard(s) " << missing << " did not answer in time\n";
  }
}

void add_cluster(CLI::App& app, std::ostream& out) {
  // clipkit enqueue
  {
    struct Args {
      std::string nats;
      std::vector<std::string> paths;
      bool json = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App* sub = app.add_subcommand("enqueue", "queue one embedding job per image file in a NATS cluster");
    add_nats_option(*sub, args->nats);
    sub->add_option("paths", args->paths, "image files and folders (recursively)")->required();
    sub->add_flag("--json", args->json, "print {\"queued\", \"duplicates\", \"errors\": [{\"path\", \"error\"}]}");
    sub->callback([args, &out] {
      std::vector<std::filesystem::path> roots(args->paths.begin(), args->paths.end());
      const auto report = cluster::enqueue(args->nats, roots);
      if (args->json) {
        nlohmann::json errors = nlohmann::json::array();
        for (const auto& [path, why] : report.errors) {
          nlohmann::json e = {{"error", why}};
          put_path(e, "path", path);
          errors.push_back(e);
        }
        out << json_text({{"queued", report.queued}, {"duplicates", report.duplicates}, {"errors", errors}}) << "\n";
        return;
      }
      out << "queued " << report.queued << ", already queued " << report.duplicates << ", unreadable "
          << report.errors.size() << "\n";
      for (const auto& [path, why] : report.errors) out << "  " << tsv_field(path) << ": " << why << "\n";
    });
  }
  // clipkit worker
  {
    struct Args {
      ModelArgs model;
      std::string nats;
      cluster::WorkerOptions options;
      int idle_ms = 0;
      bool quiet = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App* sub = app.add_subcommand("worker", "embed queued images and publish the vectors (until SIGINT/SIGTERM)");
    add_model_options(*sub, args->model, true);
    add_nats_option(*sub, args->nats);
    sub->add_option("--batch", args->options.batch, "jobs per batch")->check(CLI::Range(1, 1024))->capture_default_str();
    sub->add_option("--max-deliveries", args->options.max_deliveries,
                    "give a job up (and report it on clipkit.failed) after this many deliveries")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_option("--decode-threads", args->options.decode_threads, "decoding threads (default: one per two cores)");
    sub->add_option("--exit-when-idle", args->idle_ms, "return once no job arrived for this many milliseconds")
        ->check(CLI::Range(1, 86'400'000));
    sub->add_flag("-q,--quiet", args->quiet, "no progress lines on stderr");
    sub->callback([args, &out] {
      Clip clip = load_clip(args->model);
      cluster::WorkerOptions options = args->options;
      options.stop = stop_on_signals();
      options.log = log_to_stderr(args->quiet);
      if (args->idle_ms > 0) {
        options.exit_when_idle = true;
        options.idle = std::chrono::milliseconds(args->idle_ms);
      }
      const auto report = cluster::run_worker(args->nats, clip, options);
      const size_t done = report.embedded + report.errors;
      out << "embedded " << report.embedded << ", unreadable " << report.errors << ", given up " << report.failed << " in "
          << fixed(report.seconds, 2) << " s ("
          << fixed(report.seconds > 0 ? static_cast<double>(done) / report.seconds : 0, 1) << " images/s)\n";
    });
  }
  // clipkit shard
  {
    struct Args {
      std::string nats, dir;
      cluster::ShardOptions options;
      bool quiet = false;
    };
    auto args = std::make_shared<Args>();
    CLI::App* sub = app.add_subcommand("shard", "keep one shard of a cluster's vectors and answer searches (until SIGINT/SIGTERM)");
    add_nats_option(*sub, args->nats);
    sub->add_option("--shard", args->options.shard, "this shard's number, from 0")->required()->check(CLI::Range(0, 4095));
    sub->add_option("--shards", args->options.shards, "the cluster's shard count (checked)")->check(CLI::Range(1, 4096));
    sub->add_option("--dir", args->dir, "the folder for this replica's index")->required();
    sub->add_option("--replica", args->options.replica, "this replica's name (default: from --dir)");
    sub->add_option("--batch", args->options.batch, "results stored per transaction")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    sub->add_option("--ivf-min", args->options.ivf_min, "train IVF-PQ once the shard holds this many vectors")
        ->capture_default_str();
    sub->add_option("--nlist", args->options.nlist, "IVF lists (default about 4·√vectors)");
    sub->add_option("--pq", args->options.pq_m, "PQ sub-quantizers, bytes per vector (default dim/8)");
    sub->add_option("--nprobe", args->options.nprobe, "IVF lists searched per query")->capture_default_str();
    sub->add_option("--refine", args->options.refine, "re-rank this many times k candidates by their stored vectors")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_flag("-q,--quiet", args->quiet, "no progress lines on stderr");
    sub->callback([args] {
      cluster::ShardOptions options = args->options;
      options.dir = args->dir;
      options.stop = stop_on_signals();
      options.log = log_to_stderr(args->quiet);
      cluster::run_shard(args->nats, options);
    });
  }
  // clipkit cluster init | status
  {
    CLI::App* group = app.add_subcommand("cluster", "set up or inspect a NATS JetStream cluster of clipkit workers and shards");
    group->require_subcommand(1);
    struct InitArgs {
      std::string nats;
      cluster::InitOptions options;
      int ack_wait = 60;
      int64_t dedup_window = 86400;
    };
    auto init = std::make_shared<InitArgs>();
    CLI::App* isub = group->add_subcommand("init", "create the streams and the bucket (idempotent)");
    add_nats_option(*isub, init->nats);
    isub->add_option("--shards", init->options.shards, "how many shards (fixed once made)")->required()->check(CLI::Range(1, 4096));
    isub->add_option("--replicas", init->options.replicas, "JetStream replicas: 1, 3 or 5")->capture_default_str();
    isub->add_option("--ack-wait", init->ack_wait, "seconds before an unacked job goes to another worker")
        ->check(CLI::Range(1, 86400))
        ->capture_default_str();
    isub->add_option("--dedup-window", init->dedup_window,
                     "seconds a job's id is remembered (re-enqueueing within it is a no-op; each id held costs server "
                     "memory, see docs/scale.md)")
        ->check(CLI::Range(int64_t{1}, int64_t{30} * 86400))
        ->capture_default_str();
    isub->callback([init, &out] {
      cluster::InitOptions options = init->options;
      options.ack_wait = std::chrono::seconds(init->ack_wait);
      options.duplicate_window = std::chrono::seconds(init->dedup_window);
      cluster::init(init->nats, options);
      out << "cluster ready: " << options.shards << " shards, " << options.replicas << " replicas\n";
    });
    struct StatusArgs {
      std::string nats;
      bool json = false;
      int wait_ms = 1000;
    };
    auto st = std::make_shared<StatusArgs>();
    CLI::App* ssub = group->add_subcommand("status", "jobs pending/done/failed, vectors and lag per shard replica, the model");
    add_nats_option(*ssub, st->nats);
    ssub->add_flag("--json", st->json, "print JSON");
    ssub->add_option("--wait", st->wait_ms, "milliseconds to wait for shard replicas to answer")->capture_default_str();
    ssub->callback([st, &out] {
      const cluster::Status s = cluster::status(st->nats, std::chrono::milliseconds(st->wait_ms));
      if (st->json) {
        nlohmann::json shards = nlohmann::json::array();
        for (const auto& sh : s.shard_status) {
          nlohmann::json replicas = nlohmann::json::array();
          for (const auto& a : sh.replicas) replicas.push_back(answer_json(a));
          shards.push_back({{"shard", sh.shard}, {"results", sh.results}, {"replicas", replicas}});
        }
        nlohmann::json failures = nlohmann::json::array();
        for (const auto& [path, why] : s.failures) {
          nlohmann::json f = {{"reason", why}};
          put_path(f, "path", path);
          failures.push_back(f);
        }
        nlohmann::json j = {{"shards", s.shards},          {"replicas", s.replicas},
                            {"jobs_pending", s.jobs_pending}, {"jobs_done", s.jobs_done},
                            {"jobs_in_flight", s.jobs_in_flight},
                            {"jobs_failed", s.jobs_failed},   {"shard_status", shards},
                            {"failures", failures}};
        j["model"] = s.model ? nlohmann::json{{"path", s.model->model_path}, {"description", s.model->description}, {"dim", s.model->dim}}
                             : nlohmann::json(nullptr);
        out << json_text(j) << "\n";
        return;
      }
      out << "shards " << s.shards << ", JetStream replicas " << s.replicas << "\n";
      out << "model: " << (s.model ? s.model->model_path + " (" + s.model->description + ")" : "none yet") << "\n";
      out << "jobs: pending " << s.jobs_pending << " (in flight " << s.jobs_in_flight << "), done " << s.jobs_done
          << ", failed " << s.jobs_failed << "\n";
      for (const auto& sh : s.shard_status) {
        out << "shard " << sh.shard << ": " << sh.results << " results";
        if (sh.replicas.empty()) out << ", NO replica answered";
        for (const auto& a : sh.replicas)
          out << "; " << a.replica << " " << a.vectors << " vectors, lag " << a.lag << ", " << a.method
              << (a.error.empty() ? "" : ", error: " + a.error);
        out << "\n";
      }
      for (const auto& [path, why] : s.failures) out << "failed: " << tsv_field(path) << ": " << why << "\n";
    });
  }
}

}  // namespace clipkit::tools
