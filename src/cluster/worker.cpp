// clipkit worker: jobs in, results out. A job is acked only after JetStream acked its
// result, so a worker killed at any point loses nothing: its unacked jobs go to another
// worker after the consumer's ack wait, and a result published twice is dropped by the
// results stream's de-duplication (same message id) or, past that window, replaces
// itself in the shard (same path).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <optional>
#include <thread>

#include "clipkit/cluster.hpp"
#include "clipkit/error.hpp"
#include "clipkit/similarity.hpp"
#include "cluster/messages.hpp"
#include "cluster/nats.hpp"
#include "core/file.hpp"
#include "search/content_hash.hpp"
#include "search/indexer.hpp"

namespace clipkit::cluster {

namespace {

using Clock = std::chrono::steady_clock;

struct Prepared {
  Msg msg;
  JobMessage job;
  std::string id;
  uint64_t deliveries = 0;
  bool give_up = false;     // poison: delivered too often, or not a job at all
  std::string reason;       // why it is given up
  ResultMessage result;     // path, hash, size, mtime, error
  std::vector<float> pixels;
};

struct Batch {
  std::vector<Prepared> jobs;
  std::string fetch_error;
};

void say(const WorkerOptions& o, const std::string& line) {
  if (o.log) o.log(line);
}

}  // namespace

WorkerReport run_worker(const std::string& url, const Clip& clip, const WorkerOptions& options) {
  Nats nats(url);
  const ClusterConfig config = nats.config();
  // The cluster's model: recorded by the first worker, the same for every later one.
  const ModelIdentity mine = identify(clip);
  const std::string recorded_text = nats.kv_create("model", to_json(mine));
  const ModelIdentity recorded = model_identity_from_json(recorded_text, "the model recorded by the cluster at " + url);
  if (!same_model(recorded, mine))
    throw Error(ErrorCode::invalid_argument, "the cluster at " + url + " embeds with another model (" +
                                                 recorded.model_path + ", " + recorded.description + "); this one is " +
                                                 mine.model_path + ", " + mine.description + ". Use --model " +
                                                 recorded.model_path);
  const std::string model_key =
      short_hash({reinterpret_cast<const uint8_t*>(recorded_text.data()), recorded_text.size()});

  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = names::kJobsStream;
  so.Consumer = names::kWorkers;
  natsSubscription* raw = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  check(with_patience([&] { return js_PullSubscribe(&raw, nats.js(), names::kJobs, names::kWorkers, nullptr, &so, &err); }),
        "binding to the workers' consumer (run clipkit cluster init first)", err);
  Subscription sub(raw);

  const PreprocessOptions preprocess = clip.model().info().preprocess;
  const size_t batch = std::clamp<size_t>(options.batch, 1, 1024);
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = options.decode_threads > 0 ? static_cast<size_t>(options.decode_threads) : std::max(1u, hw / 2);

  // Fetches a batch and reads, hashes, decodes and preprocesses it (on `threads` threads).
  auto fetch_and_prepare = [&]() -> Batch {
    Batch b;
    natsMsgList list{nullptr, 0};
    jsErrCode ferr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, sub.get(), static_cast<int>(batch), 1000, &ferr);
    if (s == NATS_TIMEOUT) return b;
    if (s != NATS_OK) {
      b.fetch_error = std::string("fetching jobs: ") + natsStatus_GetText(s);
      return b;
    }
    for (int i = 0; i < list.Count; ++i) {
      Prepared p;
      p.msg.reset(list.Msgs[i]);
      list.Msgs[i] = nullptr;
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, p.msg.get()) == NATS_OK) {
        p.deliveries = meta->NumDelivered;
        jsMsgMetaData_Destroy(meta);
      }
      try {
        p.job = decode_job(data(p.msg.get()), "a job on " + std::string(names::kJobs));
        p.id = job_id(p.job.path, p.job.hash);
      } catch (const Error& e) {
        p.give_up = true;
        p.reason = e.what();
      }
      if (!p.give_up && p.deliveries > static_cast<uint64_t>(std::max(1, options.max_deliveries))) {
        p.give_up = true;
        p.reason = p.job.path + ": delivered " + std::to_string(p.deliveries) +
                   " times without being done (a worker died or failed on it each time); given up";
      }
      b.jobs.push_back(std::move(p));
    }
    natsMsgList_Destroy(&list);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t j; (j = next.fetch_add(1)) < b.jobs.size();) {
        Prepared& p = b.jobs[j];
        if (p.give_up) continue;
        ResultMessage& r = p.result;
        r.id = p.id;
        r.path = p.job.path;
        r.model = model_key;
        try {
          const search::Found f = search::stat_file(p.job.path);
          r.size = f.size;
          r.mtime_ns = f.mtime_ns;
          std::vector<uint8_t> bytes = core::read_file(p.job.path, search::kMaxFileBytes, "an image file");
          r.hash = search::sha256_hex(bytes);
          p.pixels = clip_preprocess(decode_image_memory(bytes, p.job.path, clip.options().decode), preprocess);
        } catch (const std::exception& e) {
          r.error = e.what();
          if (r.hash.empty()) r.hash = p.job.hash;
        }
      }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < std::min(threads, b.jobs.size()); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    return b;
  };

  WorkerReport report;
  const size_t dim = static_cast<size_t>(clip.model().embed_dim());
  auto last_job = Clock::now();
  std::optional<Clock::time_point> first_job;
  std::future<Batch> next = std::async(std::launch::async, fetch_and_prepare);
  for (;;) {
    Batch current = next.get();
    const bool stopping = options.stop && options.stop();
    if (!current.fetch_error.empty()) {
      say(options, current.fetch_error + "; retrying");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (stopping) {
      // Hand back what was fetched but not done: another worker takes it at once.
      for (Prepared& p : current.jobs) natsMsg_Nak(p.msg.get(), nullptr);
      break;
    }
    if (current.jobs.empty()) {
      if (options.exit_when_idle && Clock::now() - last_job >= options.idle) break;
      next = std::async(std::launch::async, fetch_and_prepare);
      continue;
    }
    last_job = Clock::now();
    if (!first_job) first_job = last_job;
    next = std::async(std::launch::async, fetch_and_prepare);  // decodes while the model runs

    std::vector<float> pixels;
    std::vector<size_t> rows;
    for (size_t i = 0; i < current.jobs.size(); ++i) {
      Prepared& p = current.jobs[i];
      if (p.give_up || !p.result.error.empty()) continue;
      pixels.insert(pixels.end(), p.pixels.begin(), p.pixels.end());
      p.pixels = {};
      rows.push_back(i);
    }
    if (!rows.empty()) {
      std::vector<float> embeddings;
      try {
        embeddings = clip.model().encode_images(pixels, rows.size());
        normalize_rows(embeddings, dim);
      } catch (const std::exception& e) {
        for (size_t i : rows) current.jobs[i].result.error = current.jobs[i].job.path + ": " + e.what();
        rows.clear();
      }
      for (size_t e = 0; e < rows.size(); ++e) {
        ResultMessage& r = current.jobs[rows[e]].result;
        r.vector.assign(embeddings.begin() + static_cast<std::ptrdiff_t>(e * dim),
                        embeddings.begin() + static_cast<std::ptrdiff_t>((e + 1) * dim));
        if (!std::all_of(r.vector.begin(), r.vector.end(), [](float x) { return std::isfinite(x); })) {
          r.vector.clear();
          r.error = r.path + ": the model gave a non-finite embedding";
        }
      }
    }
    for (Prepared& p : current.jobs) {
      try {
        if (p.give_up) {
          FailureMessage f{p.job.path.empty() ? "?" : p.job.path, p.reason, static_cast<uint32_t>(p.deliveries)};
          // One failure record per job: its id, or the stream sequence of a message that is not a job.
          std::string fid = "failed:" + (p.id.empty() ? std::to_string(reinterpret_cast<uintptr_t>(p.msg.get())) : p.id);
          jsMsgMetaData* meta = nullptr;
          if (p.id.empty() && natsMsg_GetMetaData(&meta, p.msg.get()) == NATS_OK) {
            fid = "failed:seq:" + std::to_string(meta->Sequence.Stream);
            jsMsgMetaData_Destroy(meta);
          }
          nats.publish_js(names::kFailed, encode(f), fid);
          natsMsg_Term(p.msg.get(), nullptr);
          ++report.failed;
          say(options, "gave up: " + p.reason);
          continue;
        }
        nats.publish_js(names::results(shard_of(p.result.path, config.shards)), encode(p.result), p.id);
        // If this ack is lost the job comes back, and its result is published again
        // under the same id: the stream drops it. So the ack need not wait for an answer.
        natsMsg_Ack(p.msg.get(), nullptr);
        ++(p.result.error.empty() ? report.embedded : report.errors);
      } catch (const Error& e) {
        // JetStream did not take the result: the job is not acked, so it comes back.
        natsMsg_NakWithDelay(p.msg.get(), 1000, nullptr);
        say(options, std::string("not done, will come back: ") + e.what());
      }
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - *first_job).count();
    say(options, "embedded " + std::to_string(report.embedded) + ", unreadable " + std::to_string(report.errors) +
                     ", given up " + std::to_string(report.failed));
  }
  return report;
}

}  // namespace clipkit::cluster
