// The cluster's set-up and its clients: init, enqueue, model, search, status.
#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "clipkit/cluster.hpp"
#include "clipkit/error.hpp"
#include "cluster/messages.hpp"
#include "cluster/nats.hpp"
#include "core/file.hpp"
#include "search/content_hash.hpp"
#include "search/indexer.hpp"

namespace clipkit::cluster {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

// Creates the stream unless one by that name exists (left as it is).
void ensure_stream(Nats& nats, jsStreamConfig& cfg) {
  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  natsStatus s = with_patience([&] { return js_GetStreamInfo(&si, nats.js(), cfg.Name, nullptr, &err); });
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return;
  }
  if (s != NATS_NOT_FOUND) check(s, std::string("looking up stream ") + cfg.Name, err);
  err = static_cast<jsErrCode>(0);
  s = with_patience([&] { return js_AddStream(&si, nats.js(), &cfg, nullptr, &err); });
  check(s, std::string("creating stream ") + cfg.Name, err);
  jsStreamInfo_Destroy(si);
}

}  // namespace

void init(const std::string& url, const InitOptions& options) {
  if (options.shards < 1 || options.shards > 4096)
    throw Error(ErrorCode::invalid_argument, "--shards " + std::to_string(options.shards) + ": 1 to 4096");
  if (options.replicas != 1 && options.replicas != 3 && options.replicas != 5)
    throw Error(ErrorCode::invalid_argument, "--replicas " + std::to_string(options.replicas) + ": 1, 3 or 5");
  Nats nats(url);
  // The bucket first: its config decides, whoever ran init first.
  kvConfig kc;
  kvConfig_Init(&kc);
  kc.Bucket = names::kBucket;
  kc.History = 1;
  kc.Replicas = options.replicas;
  kvStore* kv = nullptr;
  natsStatus s = with_patience([&] { return js_CreateKeyValue(&kv, nats.js(), &kc); });
  if (s == NATS_OK) kvStore_Destroy(kv);
  else if (s != NATS_ERR) check(s, "creating the cluster's bucket");  // NATS_ERR: it exists with another config
  const std::string wanted =
      nlohmann::json{{"format", 1}, {"shards", options.shards}, {"replicas", options.replicas}}.dump();
  nats.kv_create("config", wanted);
  const ClusterConfig config = nats.config();
  if (config.shards != options.shards)
    throw Error(ErrorCode::invalid_argument, "the cluster at " + url + " has " + std::to_string(config.shards) +
                                                 " shards, not " + std::to_string(options.shards) +
                                                 " (shards are fixed when the cluster is made)");

  // Both streams: file storage, replicated, de-duplicated by message id over the window.
  auto stream = [&](const char* name, std::vector<const char*> subjects, jsRetentionPolicy retention) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name;
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Retention = retention;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = config.replicas;
    cfg.Duplicates = options.duplicate_window.count() * kNsPerSecond;
    ensure_stream(nats, cfg);
  };
  stream(names::kJobsStream, {names::kJobs}, js_WorkQueuePolicy);     // a job leaves when acked
  stream(names::kResultsStream, {"clipkit.results.*", names::kFailed}, js_LimitsPolicy);  // kept

  // The workers' shared durable consumer: explicit acks, redelivery after ack_wait.
  jsConsumerConfig cc;
  jsConsumerConfig_Init(&cc);
  cc.Durable = names::kWorkers;
  cc.AckPolicy = js_AckExplicit;
  cc.AckWait = options.ack_wait.count() * kNsPerSecond;
  cc.MaxDeliver = -1;  // workers give a job up themselves after --max-deliveries (and report it)
  cc.MaxAckPending = 65536;
  cc.Replicas = config.replicas;
  jsConsumerInfo* ci = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  s = with_patience([&] { return js_GetConsumerInfo(&ci, nats.js(), names::kJobsStream, names::kWorkers, nullptr, &err); });
  if (s == NATS_NOT_FOUND) {
    err = static_cast<jsErrCode>(0);
    s = with_patience([&] { return js_AddConsumer(&ci, nats.js(), names::kJobsStream, &cc, nullptr, &err); });
    check(s, "creating the workers' consumer", err);
  } else {
    check(s, "looking up the workers' consumer", err);
  }
  jsConsumerInfo_Destroy(ci);
}

EnqueueReport enqueue(const std::string& url, std::span<const fs::path> roots) {
  const search::Walk walk = search::walk_images(roots);
  Nats nats(url);
  nats.config();  // an uninitialised cluster is named before anything is read
  EnqueueReport report;
  for (const search::Found& f : walk.files) {
    std::string hash;
    try {
      hash = search::sha256_hex(core::read_file(f.path, search::kMaxFileBytes, "an image file"));
    } catch (const Error& e) {
      report.errors.emplace_back(f.path, e.what());
      continue;
    }
    const bool duplicate = nats.publish_js(names::kJobs, encode(JobMessage{f.path, hash}), job_id(f.path, hash));
    ++(duplicate ? report.duplicates : report.queued);
  }
  return report;
}

std::optional<ModelIdentity> model(const std::string& url) {
  Nats nats(url);
  auto text = nats.kv_get("model");
  if (!text) return std::nullopt;
  return model_identity_from_json(*text, "the model recorded by the cluster at " + url);
}

namespace {

// Sends `bytes` to each shard's subject and collects answers into `on_answer` until every
// shard answered (`want_all_replicas`: until the deadline) or the deadline passed.
// Returns the shards that answered.
std::set<int> scatter(Nats& nats, int shards, std::string (*subject)(int), std::span<const uint8_t> bytes,
                      std::chrono::milliseconds deadline, bool want_all_replicas,
                      const std::function<void(int shard, natsMsg*)>& on_answer) {
  natsInbox* inbox = nullptr;
  check(natsInbox_Create(&inbox), "a reply inbox");
  const std::string prefix = inbox;
  natsInbox_Destroy(inbox);
  natsSubscription* raw = nullptr;
  check(natsConnection_SubscribeSync(&raw, nats.nc(), (prefix + ".*").c_str()), "subscribing to replies");
  Subscription sub(raw);
  for (int shard = 0; shard < shards; ++shard)
    check(natsConnection_PublishRequest(nats.nc(), subject(shard).c_str(), (prefix + "." + std::to_string(shard)).c_str(),
                                        bytes.data(), static_cast<int>(bytes.size())),
          "sending to shard " + std::to_string(shard));
  natsConnection_Flush(nats.nc());
  std::set<int> answered, no_one;
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until && (want_all_replicas || static_cast<int>(answered.size() + no_one.size()) < shards)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub.get(), std::max<int64_t>(1, left)) != NATS_OK) continue;
    Msg owned(m);
    const std::string subj = natsMsg_GetSubject(m);
    int shard = -1;
    try {
      shard = std::stoi(subj.substr(prefix.size() + 1));
    } catch (const std::exception&) {
      continue;
    }
    if (shard < 0 || shard >= shards) continue;
    if (natsMsg_IsNoResponders(m)) {  // no replica of this shard is subscribed
      no_one.insert(shard);
      continue;
    }
    on_answer(shard, m);
    answered.insert(shard);
  }
  return answered;
}

}  // namespace

ClusterSearch search(const std::string& url, std::span<const float> query, const SearchRequest& request) {
  Nats nats(url);
  const ClusterConfig config = nats.config();
  QueryMessage q;
  q.k = static_cast<uint32_t>(std::clamp<size_t>(request.k, 1, kMaxHits));
  q.threshold = request.threshold;
  q.vector.assign(query.begin(), query.end());
  ClusterSearch result;
  result.shards = config.shards;
  std::map<int, AnswerMessage> answers;
  const auto answered = scatter(nats, config.shards, names::search, encode(q), request.deadline, false,
                                [&](int shard, natsMsg* m) {
                                  try {
                                    AnswerMessage a = decode_answer(data(m), "the answer of shard " + std::to_string(shard));
                                    a.shard = shard;
                                    answers.emplace(shard, std::move(a));
                                  } catch (const Error& e) {
                                    AnswerMessage a;
                                    a.shard = shard;
                                    a.error = e.what();
                                    answers.emplace(shard, std::move(a));
                                  }
                                });
  for (int shard = 0; shard < config.shards; ++shard)
    if (!answered.count(shard)) result.missing.push_back(shard);
  for (auto& [shard, a] : answers) {
    if (!a.error.empty() && a.hits.empty() && a.replica.empty()) {  // undecodable: counts as missing
      result.missing.push_back(shard);
      continue;
    }
    for (auto& [score, path] : a.hits) result.hits.push_back({path, score, shard});
    result.answers.push_back({shard, a.replica, a.vectors, a.lag, a.method, a.error});
  }
  std::sort(result.missing.begin(), result.missing.end());
  std::sort(result.hits.begin(), result.hits.end(), [](const ClusterHit& a, const ClusterHit& b) {
    return a.score != b.score ? a.score > b.score : a.path < b.path;
  });
  if (result.hits.size() > q.k) result.hits.resize(q.k);
  return result;
}

Status status(const std::string& url, std::chrono::milliseconds deadline) {
  Nats nats(url);
  const ClusterConfig config = nats.config();
  Status st;
  st.shards = config.shards;
  st.replicas = config.replicas;
  if (auto text = nats.kv_get("model")) st.model = model_identity_from_json(*text, "the model recorded by the cluster at " + url);

  jsStreamInfo* si = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  check(js_GetStreamInfo(&si, nats.js(), names::kJobsStream, nullptr, &err), "the jobs stream", err);
  st.jobs_pending = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  jsConsumerInfo* ci = nullptr;
  check(js_GetConsumerInfo(&ci, nats.js(), names::kJobsStream, names::kWorkers, nullptr, &err), "the workers' consumer", err);
  st.jobs_in_flight = static_cast<uint64_t>(std::max<int64_t>(0, ci->NumAckPending));
  jsConsumerInfo_Destroy(ci);
  jsOptions o;
  jsOptions_Init(&o);
  o.Stream.Info.SubjectsFilter = ">";
  check(js_GetStreamInfo(&si, nats.js(), names::kResultsStream, &o, &err), "the results stream", err);
  st.shard_status.resize(static_cast<size_t>(config.shards));
  for (int i = 0; i < config.shards; ++i) st.shard_status[static_cast<size_t>(i)].shard = i;
  if (si->State.Subjects)
    for (int i = 0; i < si->State.Subjects->Count; ++i) {
      const std::string subj = si->State.Subjects->List[i].Subject;
      const uint64_t n = si->State.Subjects->List[i].Msgs;
      if (subj == names::kFailed) {
        st.jobs_failed += n;
        continue;
      }
      st.jobs_done += n;
      for (int shard = 0; shard < config.shards; ++shard)
        if (subj == names::results(shard)) st.shard_status[static_cast<size_t>(shard)].results = n;
    }
  jsStreamInfo_Destroy(si);

  const std::vector<uint8_t> ping = encode(QueryMessage{1, std::nullopt, {0.0f}});
  scatter(nats, config.shards, names::status, ping, deadline, true, [&](int shard, natsMsg* m) {
    ShardAnswer a;
    try {
      AnswerMessage am = decode_answer(data(m), "the status of shard " + std::to_string(shard));
      a = {shard, am.replica, am.vectors, am.lag, am.method, am.error};
    } catch (const Error& e) {
      a.shard = shard;
      a.error = e.what();
    }
    st.shard_status[static_cast<size_t>(shard)].replicas.push_back(a);
  });
  for (auto& s : st.shard_status)
    std::sort(s.replicas.begin(), s.replicas.end(),
              [](const ShardAnswer& a, const ShardAnswer& b) { return a.replica < b.replica; });

  // The failures, oldest first (at most 100): an ephemeral consumer over clipkit.failed.
  if (st.jobs_failed > 0) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Config.AckPolicy = js_AckNone;
    so.Config.DeliverPolicy = js_DeliverAll;
    natsSubscription* raw = nullptr;
    if (js_SubscribeSync(&raw, nats.js(), names::kFailed, nullptr, &so, &err) == NATS_OK) {
      Subscription sub(raw);
      for (uint64_t i = 0; i < std::min<uint64_t>(st.jobs_failed, 100); ++i) {
        natsMsg* m = nullptr;
        if (natsSubscription_NextMsg(&m, sub.get(), 1000) != NATS_OK) break;
        Msg owned(m);
        try {
          FailureMessage f = decode_failure(data(m), "a failure record");
          st.failures.emplace_back(f.path, f.reason);
        } catch (const Error& e) {
          st.failures.emplace_back("?", e.what());
        }
      }
    }
  }
  return st;
}

}  // namespace clipkit::cluster
