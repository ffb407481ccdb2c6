// clipkit/cluster.hpp — embedding and search across machines, on NATS JetStream.
//
//   clipkit::cluster::init("nats://a:4222,nats://b:4222", {.shards = 4, .replicas = 3});
//   clipkit::cluster::enqueue(url, {{"/photos"}});            // one job per image file
//   clipkit::cluster::run_worker(url, clip, {});              // on each embedding machine
//   clipkit::cluster::run_shard(url, {.shard = 0, .dir = "/srv/shard0"});  // on each store machine
//   auto found = clipkit::cluster::search(url, normalized(clip.embed_text("a red bicycle")), {});
//
// The JetStream layout (docs/cluster.md): a work-queue stream of jobs (subject
// clipkit.jobs, one message per file, its id the file's content hash + path, so that
// re-enqueueing a file is a no-op), a stream of results (clipkit.results.<shard>, one
// message per embedded or unreadable file; clipkit.failed for jobs given up), and a
// key-value bucket holding the cluster's shard count and the model that made its vectors.
// A worker acks a job only after JetStream acknowledged its result, so a killed worker
// loses nothing; a shard replica commits results to its SQLite index before it acks
// them, so a killed replica loses nothing either. Searches go to every shard (subject
// clipkit.search.<shard>, a queue group per shard: its replicas share the load) and are
// merged; shards that did not answer before the deadline are named, never dropped
// silently.
//
// `nats` is one URL or a comma-separated list of the cluster's servers. Errors:
// clipkit::Error — not_found (no server reachable, JetStream not answering, or
// the cluster not initialised), invalid_argument (a different model or shard
// count than the cluster records), corrupt_data (a message that does not parse).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clipkit/clip.hpp"
#include "clipkit/index.hpp"

namespace clipkit::cluster {

struct InitOptions {
  int shards = 1;
  int replicas = 1;  // JetStream replicas of the streams and the bucket (1, 3 or 5)
  std::chrono::seconds duplicate_window{std::chrono::hours(24)};  // how long a job id is remembered
  std::chrono::seconds ack_wait{60};  // a job not acked this long after delivery goes to another worker
};
// Creates the streams and the bucket, or checks that an existing cluster has the same
// shard count (Error invalid_argument otherwise). Idempotent.
void init(const std::string& nats, const InitOptions& options);

struct EnqueueReport {
  size_t queued = 0;      // new jobs
  size_t duplicates = 0;  // already queued (same path and content) within the window
  std::vector<std::pair<std::string, std::string>> errors;  // path, why it was not queued
};
// One job per image file under `roots` (folders recursively, with the extensions `clipkit
// index` takes; files as given). Each file is read once, for its SHA-256.
EnqueueReport enqueue(const std::string& nats, std::span<const std::filesystem::path> roots);

// Called with one line of progress or trouble; may be empty (then nothing is said).
using Log = std::function<void(const std::string&)>;
// Polled between batches and fetches; a worker or shard returns when it gives true.
using StopFlag = std::function<bool()>;

struct WorkerOptions {
  size_t batch = 16;           // jobs fetched and embedded together
  int max_deliveries = 5;      // a job delivered this often without an ack is given up (reported on clipkit.failed)
  int decode_threads = 0;      // 0: one per two cores, at least one
  bool exit_when_idle = false; // return once no job has arrived for `idle`
  std::chrono::milliseconds idle{3000};
  StopFlag stop;
  Log log;
};
struct WorkerReport {
  size_t embedded = 0;  // results published with a vector
  size_t errors = 0;    // results published with the reason the file could not be read
  size_t failed = 0;    // jobs given up after max_deliveries
  double seconds = 0;   // from the first job received to the last result published
};
// Pulls jobs, embeds them with `clip` (decoding the next batch while the model runs),
// publishes results, acks. Records the model in a new cluster; refuses (invalid_argument)
// a model other than the one recorded.
WorkerReport run_worker(const std::string& nats, const Clip& clip, const WorkerOptions& options);

struct ShardOptions {
  int shard = 0;
  int shards = 0;               // must equal the cluster's shard count (0: take it)
  std::filesystem::path dir;    // holds shard.clipkit (a clipkit index) and, once built, shard.ivfpq
  std::string replica;          // this replica's durable consumer name (default: from dir)
  size_t batch = 256;           // results fetched and committed together
  // IVF-PQ (faiss): trained on a sample once the shard holds ivf_min vectors; from then
  // on searches read it, re-ranking `refine`·k candidates by their stored vectors.
  size_t ivf_min = 200'000;
  size_t nlist = 0;             // 0: about 4·√vectors, at most 65536
  size_t pq_m = 0;              // sub-quantizers; 0: dim / 8 (64 bytes for 512-d), at least 1
  size_t nprobe = 16;
  size_t refine = 16;           // re-rank refine·k candidates by their stored vectors (docs/scale.md)
  StopFlag stop;
  Log log;
};
// Consumes the shard's results into its index and answers searches until stop.
void run_shard(const std::string& nats, const ShardOptions& options);

struct ShardAnswer {
  int shard = 0;
  std::string replica;
  uint64_t vectors = 0;  // in the replica's index when it answered
  uint64_t lag = 0;      // results of its shard it had not yet consumed
  std::string method;    // "exact" or "ivfpq"
  std::string error;     // what went wrong in the replica, if anything
};
struct ClusterHit {
  std::string path;
  float score = 0;
  int shard = 0;
};
struct ClusterSearch {
  std::vector<ClusterHit> hits;     // best first, at most k
  std::vector<ShardAnswer> answers; // one per shard that answered, by shard
  std::vector<int> missing;         // shards that did not answer before the deadline
  int shards = 0;
  bool partial() const { return !missing.empty(); }
};
struct SearchRequest {
  size_t k = 10;
  std::optional<float> threshold;
  std::chrono::milliseconds deadline{2000};
};
// Scatters the unit vector `query` to every shard, waits until all answered or the
// deadline, merges the top k (ties by path).
ClusterSearch search(const std::string& nats, std::span<const float> query, const SearchRequest& request);

// The model the cluster records (nullopt before the first worker ran).
std::optional<ModelIdentity> model(const std::string& nats);

struct ShardStatus {
  int shard = 0;
  uint64_t results = 0;                   // results published to this shard
  std::vector<ShardAnswer> replicas;      // every replica that answered
};
struct Status {
  int shards = 0;
  int replicas = 0;
  uint64_t jobs_pending = 0;   // queued or being embedded
  uint64_t jobs_in_flight = 0; // of those, delivered to a worker and not yet acked
  uint64_t jobs_done = 0;      // results published (vectors + unreadable files)
  uint64_t jobs_failed = 0;    // given up after too many deliveries
  std::optional<ModelIdentity> model;
  std::vector<ShardStatus> shard_status;
  std::vector<std::pair<std::string, std::string>> failures;  // path, why (the latest 100)
};
Status status(const std::string& nats, std::chrono::milliseconds deadline = std::chrono::milliseconds(1000));

}  // namespace clipkit::cluster
