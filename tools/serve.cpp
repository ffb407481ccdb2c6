// clipkit serve — the JSON API and the web page over an index, or over a cluster (--nats).
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "clipkit/cluster.hpp"
#include "common.hpp"

namespace clipkit::tools {

namespace {

int g_stop_pipe[2] = {-1, -1};
void on_stop_signal(int) {
  const char byte = 1;
  const ssize_t ignored = write(g_stop_pipe[1], &byte, 1);  // async-signal-safe
  (void)ignored;
}

// A cluster as the server's source. Hits come with paths; the page asks for images and
// "more like this" by id, so each path the cluster returns gets an id for this server's
// lifetime, and only those paths can be read through /api/images/ID.
class ClusterSource : public SearchSource {
 public:
  ClusterSource(std::string nats, std::shared_ptr<const Clip> clip, std::chrono::milliseconds deadline)
      : nats_(std::move(nats)), clip_(std::move(clip)), deadline_(deadline) {}

  SourceAnswer search(std::span<const float> query, const SearchOptions& options) const override {
    cluster::SearchRequest request;
    request.k = options.k + (options.exclude ? 1 : 0);
    request.threshold = options.threshold;
    request.deadline = deadline_;
    const cluster::ClusterSearch found = cluster::search(nats_, query, request);
    SourceAnswer answer;
    answer.shards = found.shards;
    answer.missing = found.missing;
    const std::optional<std::string> excluded = options.exclude ? path_of(*options.exclude) : std::nullopt;
    for (const auto& hit : found.hits) {
      if (excluded && hit.path == *excluded) continue;
      if (answer.hits.size() == options.k) break;
      answer.hits.push_back({id_of(hit.path), hit.path, hit.score});
    }
    return answer;
  }
  std::vector<float> vector(int64_t id) const override {
    const auto path = path_of(id);
    if (!path) throw Error(ErrorCode::not_found, "no image with id " + std::to_string(id) + " in this server's results");
    if (!clip_) throw Error(ErrorCode::unsupported, "this server has no model to embed " + *path + " with");
    return normalized(clip_->embed_image_file(*path));
  }
  std::optional<IndexedFile> file(int64_t id) const override {
    const auto path = path_of(id);
    if (!path) return std::nullopt;
    IndexedFile f;
    f.id = id;
    f.path = *path;
    return f;
  }
  IndexStats stats() const override {
    const cluster::Status st = cluster::status(nats_, std::chrono::milliseconds(500));
    IndexStats s;
    for (const auto& shard : st.shard_status) {
      uint64_t most = 0;
      for (const auto& r : shard.replicas) most = std::max(most, r.vectors);
      s.vectors += most;
    }
    s.files = st.jobs_done;
    s.errors = st.jobs_done > s.vectors ? st.jobs_done - s.vectors : 0;
    s.model = st.model;
    s.dim = st.model ? st.model->dim : 0;
    return s;
  }

 private:
  int64_t id_of(const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto [it, added] = ids_.emplace(path, static_cast<int64_t>(paths_.size()) + 1);
    if (added) paths_.push_back(path);
    return it->second;
  }
  std::optional<std::string> path_of(int64_t id) const {
    std::lock_guard lock(mutex_);
    if (id < 1 || id > static_cast<int64_t>(paths_.size())) return std::nullopt;
    return paths_[static_cast<size_t>(id - 1)];
  }

  std::string nats_;
  std::shared_ptr<const Clip> clip_;
  std::chrono::milliseconds deadline_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, int64_t> ids_;
  mutable std::vector<std::string> paths_;
};

}  // namespace

void add_serve(CLI::App& app, std::ostream&) {
  struct Args {
    ModelArgs model;
    std::string db, nats;
    int deadline_ms = 2000;
    ServerOptions server;
    size_t max_upload_mb = 32;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand("serve", "a local web app and JSON API to search an index");
  add_model_options(*sub, args->model, true);
  auto* db = sub->add_option("--db", args->db, "the index database file");
  sub->add_option("--nats", args->nats, "serve a clipkit cluster instead (NATS URL or comma-separated list)")->excludes(db);
  sub->add_option("--deadline", args->deadline_ms, "with --nats: milliseconds to wait for the shards")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  sub->add_option("--host", args->server.host, "address to listen on (loopback by default)")->capture_default_str();
  sub->add_option("--port", args->server.port, "port (0: any free one)")->check(CLI::Range(0, 65535))->capture_default_str();
  sub->add_option("--token", args->server.token,
                  "require the header 'Authorization: Bearer TOKEN' on /api (never ?token= in a URL); open the page "
                  "at /#token=TOKEN (default: $CLIPKIT_TOKEN)")
      ->envname("CLIPKIT_TOKEN");
  sub->add_option("--max-upload-mb", args->max_upload_mb, "largest accepted upload")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sub->callback([args] {
    if (args->db.empty() == args->nats.empty()) throw Error(ErrorCode::invalid_argument, "give --db FILE or --nats URL");
    // SIGINT/SIGTERM stop the server. Libraries start threads of their own (OpenBLAS at
    // load time, the NATS client), any of which may receive the signal, so a handler (it
    // runs in whichever thread) writes a byte to a pipe; one thread waits on the pipe.
    if (pipe(g_stop_pipe) != 0) throw Error(ErrorCode::resource_exhausted, "no pipe for the signal handler");
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::shared_ptr<const Clip> clip;
    std::shared_ptr<const SearchSource> source;
    std::string what = args->db;
    if (!args->nats.empty()) {
      clip = std::make_shared<const Clip>(load_clip_for_cluster(args->model, args->nats));
      source = std::make_shared<ClusterSource>(args->nats, clip, std::chrono::milliseconds(args->deadline_ms));
      what = "the cluster at " + args->nats;
    } else {
      std::shared_ptr<ImageIndex> index = ImageIndex::open(args->db, false);
      if (auto loaded = load_clip_for_index(args->model, *index)) clip = std::make_shared<const Clip>(std::move(*loaded));
      source = index_source(index);
    }
    args->server.max_upload_bytes = args->max_upload_mb << 20;
    Server server(clip, source, args->server);
    const int port = server.bind();
    const IndexStats stats = source->stats();
    std::cerr << "clipkit: serving " << stats.vectors << " images from " << what << " on http://"
              << args->server.host << ":" << port << "/" << (args->server.token.empty() ? "" : "#token=YOUR_TOKEN")
              << (clip ? "" : " (no model: only 'more like this' works)") << std::endl;
    std::thread waiter([&server] {
      char byte = 0;
      while (read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
      }
      server.stop();
    });
    server.run();
    // Stopped by a signal: the waiter has returned. Otherwise wake it ourselves.
    on_stop_signal(0);
    waiter.join();
  });
}

}  // namespace clipkit::tools
