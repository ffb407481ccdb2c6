// clipkit shard: one replica of one shard — its results into a local clipkit index
// (committed before they are acked, so a killed replica loses nothing and a restarted
// one carries on from its durable consumer), and answers to searches.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "clipkit/cluster.hpp"
#include "clipkit/error.hpp"
#include "cluster/ivfpq.hpp"
#include "cluster/messages.hpp"
#include "cluster/nats.hpp"

namespace clipkit::cluster {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

struct Replica {
  int shard = 0;
  std::string name;
  const ShardOptions* options = nullptr;
  std::unique_ptr<ImageIndex> index;
  std::atomic<uint64_t> vectors{0}, lag{0};
  std::atomic<int> dim{0};  // the cluster's model's, once known
  std::mutex ivf_mutex;
  std::shared_ptr<IvfPq> ivf;  // set once trained

  std::shared_ptr<IvfPq> current_ivf() {
    std::lock_guard lock(ivf_mutex);
    return ivf;
  }

  AnswerMessage answer_base() {
    AnswerMessage a;
    a.shard = shard;
    a.replica = name;
    a.vectors = vectors.load();
    a.lag = lag.load();
    a.method = current_ivf() ? "ivfpq" : "exact";
    return a;
  }

  AnswerMessage search(const QueryMessage& q) {
    AnswerMessage a = answer_base();
    if (dim == 0) return a;  // nothing here yet
    if (q.vector.size() != static_cast<size_t>(dim)) {
      a.error = "a " + std::to_string(q.vector.size()) + "-d query for a shard of " + std::to_string(dim) + "-d vectors";
      return a;
    }
    if (auto ivf = current_ivf()) {
      // Candidates from the compressed codes, then their stored vectors decide.
      std::vector<std::pair<float, std::string>> scored;
      for (const auto& [approx, id] : ivf->search(q.vector, q.k * std::max<size_t>(1, options->refine), options->nprobe)) {
        (void)approx;
        auto file = index->file(id);
        if (!file || !file->error.empty()) continue;
        const std::vector<float> v = index->vector(id);
        float s = 0;
        for (size_t i = 0; i < v.size(); ++i) s += v[i] * q.vector[i];
        if (q.threshold && !(s >= *q.threshold)) continue;
        scored.emplace_back(s, file->path);
      }
      std::sort(scored.begin(), scored.end(),
                [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first : x.second < y.second; });
      if (scored.size() > q.k) scored.resize(q.k);
      a.hits = std::move(scored);
      return a;
    }
    SearchOptions so;
    so.k = q.k;
    so.threshold = q.threshold;
    so.method = SearchMethod::exact;
    for (const SearchHit& h : index->search(q.vector, so)) a.hits.emplace_back(h.score, h.path);
    return a;
  }

  void maybe_train() {
    if (current_ivf() || vectors.load() < options->ivf_min) return;
    std::vector<int64_t> ids;
    std::vector<float> all;
    index->all_vectors(ids, all);
    if (options->log) options->log("training IVF-PQ on " + std::to_string(ids.size()) + " vectors");
    const auto start = Clock::now();
    auto trained = IvfPq::train(all, ids, static_cast<size_t>(dim.load()), {options->nlist, options->pq_m, 0});
    std::lock_guard lock(ivf_mutex);
    ivf = std::shared_ptr<IvfPq>(std::move(trained));
    if (options->log)
      options->log("IVF-PQ ready: " + std::to_string(ivf->nlist()) + " lists, " + std::to_string(ivf->pq_m()) +
                   " bytes per vector, " +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()) +
                   " ms");
  }
};

void reply(natsConnection* nc, natsMsg* msg, const AnswerMessage& a) {
  const char* to = natsMsg_GetReply(msg);
  if (!to || !*to) return;
  const std::vector<uint8_t> bytes = encode(a);
  natsConnection_Publish(nc, to, bytes.data(), static_cast<int>(bytes.size()));
}

void on_search(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  Msg owned(msg);
  auto* r = static_cast<Replica*>(closure);
  AnswerMessage a;
  try {
    a = r->search(decode_query(data(msg), "a search query on " + names::search(r->shard)));
  } catch (const std::exception& e) {
    a = r->answer_base();
    a.error = e.what();
  }
  reply(nc, msg, a);
}

void on_status(natsConnection* nc, natsSubscription*, natsMsg* msg, void* closure) {
  Msg owned(msg);
  reply(nc, msg, static_cast<Replica*>(closure)->answer_base());
}

// A durable consumer name: letters, digits, '-' and '_' only.
std::string consumer_name(int shard, const std::string& replica) {
  std::string name = "shard-" + std::to_string(shard) + "-";
  for (char c : replica) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return name;
}

}  // namespace

void run_shard(const std::string& url, const ShardOptions& options) {
  Nats nats(url);
  const ClusterConfig config = nats.config();
  if (options.shards != 0 && options.shards != config.shards)
    throw Error(ErrorCode::invalid_argument, "--shards " + std::to_string(options.shards) + ", but the cluster at " + url +
                                                 " has " + std::to_string(config.shards));
  if (options.shard < 0 || options.shard >= config.shards)
    throw Error(ErrorCode::invalid_argument, "--shard " + std::to_string(options.shard) + ": the cluster's shards are 0 to " +
                                                 std::to_string(config.shards - 1));
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (!fs::is_directory(options.dir))
    throw Error(ErrorCode::not_found, options.dir.string() + ": cannot make this folder (" + ec.message() + ")");
  const std::string absolute = fs::absolute(options.dir).lexically_normal().string();

  Replica r;
  r.shard = options.shard;
  r.options = &options;
  r.name = !options.replica.empty()
               ? options.replica
               : std::string("r").append(
                     short_hash({reinterpret_cast<const uint8_t*>(absolute.data()), absolute.size()}), 0, 8);
  r.index = ImageIndex::open(options.dir / "shard.clipkit", true);
  r.vectors = r.index->stats().vectors;
  auto say = [&](const std::string& line) {
    if (options.log) options.log("shard " + std::to_string(r.shard) + "/" + r.name + ": " + line);
  };
  ShardOptions logged = options;
  logged.log = say;
  r.options = &logged;

  // The model: the one this shard's index records must be the cluster's.
  std::optional<std::string> model_key;
  auto learn_model = [&]() -> bool {
    auto text = nats.kv_get("model");
    if (!text) return false;
    const ModelIdentity identity = model_identity_from_json(*text, "the model recorded by the cluster at " + url);
    r.index->bind_model(identity, VectorType::f32);  // refuses a folder made with another model
    r.dim = identity.dim;
    model_key = short_hash({reinterpret_cast<const uint8_t*>(text->data()), text->size()});
    return true;
  };
  learn_model();
  r.maybe_train();

  // This replica's durable consumer of its shard's results.
  const std::string durable = consumer_name(r.shard, r.name);
  const std::string subject = names::results(r.shard);
  {
    jsConsumerInfo* ci = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = with_patience(
        [&] { return js_GetConsumerInfo(&ci, nats.js(), names::kResultsStream, durable.c_str(), nullptr, &err); });
    if (s == NATS_NOT_FOUND) {
      jsConsumerConfig cc;
      jsConsumerConfig_Init(&cc);
      cc.Durable = durable.c_str();
      cc.FilterSubject = subject.c_str();
      cc.AckPolicy = js_AckExplicit;
      cc.AckWait = 30'000'000'000LL;
      cc.MaxDeliver = -1;
      cc.MaxAckPending = 65536;
      cc.DeliverPolicy = js_DeliverAll;
      cc.Replicas = config.replicas;
      err = static_cast<jsErrCode>(0);
      s = with_patience([&] { return js_AddConsumer(&ci, nats.js(), names::kResultsStream, &cc, nullptr, &err); });
      check(s, "creating consumer " + durable, err);
    } else {
      check(s, "looking up consumer " + durable, err);
    }
    jsConsumerInfo_Destroy(ci);
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = names::kResultsStream;
  so.Consumer = durable.c_str();
  natsSubscription* raw = nullptr;
  jsErrCode err = static_cast<jsErrCode>(0);
  check(with_patience([&] { return js_PullSubscribe(&raw, nats.js(), subject.c_str(), durable.c_str(), nullptr, &so, &err); }),
        "binding to consumer " + durable, err);
  Subscription results(raw);

  // Searches: one replica of each shard answers (queue group); status: all of them.
  check(natsConnection_QueueSubscribe(&raw, nats.nc(), names::search(r.shard).c_str(),
                                      ("shard-" + std::to_string(r.shard)).c_str(), on_search, &r),
        "subscribing to " + names::search(r.shard));
  Subscription searches(raw);
  check(natsConnection_Subscribe(&raw, nats.nc(), names::status(r.shard).c_str(), on_status, &r),
        "subscribing to " + names::status(r.shard));
  Subscription statuses(raw);
  natsConnection_Flush(nats.nc());
  say("serving " + std::to_string(r.vectors.load()) + " vectors from " + (options.dir / "shard.clipkit").string());

  const int batch = static_cast<int>(std::clamp<size_t>(options.batch, 1, 4096));
  auto last_lag_check = Clock::now() - std::chrono::seconds(10);
  // Counting rows reads the whole table: at most every 2 s while busy, and when idle.
  auto last_count = Clock::now();
  bool count_stale = false;
  auto recount = [&] {
    r.vectors = r.index->stats().vectors;
    last_count = Clock::now();
    count_stale = false;
  };
  while (!(options.stop && options.stop())) {
    natsMsgList list{nullptr, 0};
    jsErrCode ferr = static_cast<jsErrCode>(0);
    natsStatus s = natsSubscription_Fetch(&list, results.get(), batch, 1000, &ferr);
    if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
      if (count_stale) recount();
      if (Clock::now() - last_lag_check > std::chrono::seconds(1)) {
        last_lag_check = Clock::now();
        jsConsumerInfo* ci = nullptr;
        if (js_GetConsumerInfo(&ci, nats.js(), names::kResultsStream, durable.c_str(), nullptr, nullptr) == NATS_OK) {
          r.lag = ci->NumPending + static_cast<uint64_t>(std::max<int64_t>(0, ci->NumAckPending));
          jsConsumerInfo_Destroy(ci);
        }
      }
      continue;
    }
    if (s != NATS_OK) {
      say(std::string("fetching results: ") + natsStatus_GetText(s) + "; retrying");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    std::vector<Msg> msgs;
    for (int i = 0; i < list.Count; ++i) {
      msgs.emplace_back(list.Msgs[i]);
      list.Msgs[i] = nullptr;
    }
    natsMsgList_Destroy(&list);
    if (!model_key && !learn_model()) {  // workers record the model before any result
      for (Msg& m : msgs) natsMsg_NakWithDelay(m.get(), 1000, nullptr);
      continue;
    }
    std::vector<IndexedFile> files;
    std::vector<float> vectors;
    std::vector<natsMsg*> taken;
    const size_t dim = static_cast<size_t>(r.dim.load());
    uint64_t pending_after = 0;
    for (Msg& m : msgs) {
      jsMsgMetaData* meta = nullptr;
      if (natsMsg_GetMetaData(&meta, m.get()) == NATS_OK) {
        pending_after = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
      }
      try {
        ResultMessage res = decode_result(data(m.get()), "a result on " + subject);
        if (res.model != *model_key)
          throw Error(ErrorCode::invalid_argument, res.path + ": embedded by another model (key " + res.model +
                                                       ", the cluster's is " + *model_key + ")");
        if (res.error.empty() && res.vector.size() != dim)
          throw Error(ErrorCode::invalid_argument, res.path + ": a " + std::to_string(res.vector.size()) +
                                                       "-d vector for a shard of " + std::to_string(dim) + "-d vectors");
        if (shard_of(res.path, config.shards) != r.shard)
          throw Error(ErrorCode::invalid_argument, res.path + ": belongs to shard " +
                                                       std::to_string(shard_of(res.path, config.shards)));
        files.push_back({0, res.path, res.size, res.mtime_ns, res.hash, res.error});
        if (res.error.empty()) vectors.insert(vectors.end(), res.vector.begin(), res.vector.end());
        else vectors.insert(vectors.end(), dim, 0.0f);
        taken.push_back(m.get());
      } catch (const Error& e) {
        say(std::string("refused a result: ") + e.what());
        natsMsg_Term(m.get(), nullptr);  // never valid: redelivering it would not help
      }
    }
    if (!files.empty()) {
      std::vector<int64_t> ids;
      try {
        ids = r.index->put(files, vectors);
      } catch (const Error& e) {
        say(std::string("could not store a batch (it will come back): ") + e.what());
        for (natsMsg* m : taken) natsMsg_NakWithDelay(m, 1000, nullptr);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      for (natsMsg* m : taken) natsMsg_Ack(m, nullptr);  // after the commit
      if (auto ivf = r.current_ivf()) {
        std::vector<int64_t> add_ids;
        std::vector<float> add_vectors;
        for (size_t i = 0; i < files.size(); ++i)
          if (files[i].error.empty()) {
            add_ids.push_back(ids[i]);
            add_vectors.insert(add_vectors.end(), vectors.begin() + static_cast<std::ptrdiff_t>(i * dim),
                               vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
          }
        ivf->add(add_vectors, add_ids);
      }
      count_stale = true;
      if (Clock::now() - last_count > std::chrono::seconds(2) || r.vectors.load() < options.ivf_min) recount();
      r.lag = pending_after;
      r.maybe_train();
    }
  }
  // No callback may run once `r` is gone: drain the two subscriptions first.
  for (natsSubscription* sub : {searches.get(), statuses.get()}) {
    natsSubscription_Drain(sub);
    natsSubscription_WaitForDrainCompletion(sub, 2000);
  }
  say("stopping");
}

}  // namespace clipkit::cluster
