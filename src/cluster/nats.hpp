// cluster/nats.hpp — the NATS C client (nats.c) behind RAII handles, its statuses as
// clipkit::Error, and the names of clipkit's streams, subjects and bucket.
//
//   Nats nats("nats://127.0.0.1:4222,nats://127.0.0.1:4223");
//   nats.publish_js(subjects::jobs, bytes, msg_id);   // waits for JetStream's ack
//
// A connection reconnects forever (every 250 ms, trying each server), and JetStream API
// calls wait up to 5 s. Not thread-safe as a whole; nats.c's own objects are.
#pragma once

#include <nats/nats.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace clipkit::cluster {

namespace names {
inline constexpr const char* kJobsStream = "CLIPKIT_JOBS";
inline constexpr const char* kResultsStream = "CLIPKIT_RESULTS";
inline constexpr const char* kBucket = "clipkit";
inline constexpr const char* kJobs = "clipkit.jobs";
inline constexpr const char* kFailed = "clipkit.failed";
inline constexpr const char* kWorkers = "workers";  // the jobs stream's durable consumer
std::string results(int shard);  // clipkit.results.<shard>
std::string search(int shard);   // clipkit.search.<shard>
std::string status(int shard);   // clipkit.status.<shard>
}  // namespace names

// Calls `call` until it returns something other than a timeout or "no responders" (a
// JetStream API busy electing a leader, or a server just gone), for up to `patience_ms`;
// returns the last status.
natsStatus with_patience(const std::function<natsStatus()>& call, int64_t patience_ms = 20000);

// Throws Error(not_found) "<what>: <nats.c's text> (<last error>)" unless s is NATS_OK.
void check(natsStatus s, const std::string& what, jsErrCode js_error = static_cast<jsErrCode>(0));

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using Msg = std::unique_ptr<natsMsg, MsgDeleter>;
std::span<const uint8_t> data(const natsMsg* m);

struct SubDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using Subscription = std::unique_ptr<natsSubscription, SubDeleter>;

struct ClusterConfig {
  int shards = 0;
  int replicas = 0;
};

class Nats {
 public:
  explicit Nats(const std::string& urls);
  ~Nats();
  Nats(const Nats&) = delete;
  Nats& operator=(const Nats&) = delete;

  natsConnection* nc() { return nc_; }
  jsCtx* js() { return js_; }
  const std::string& urls() const { return urls_; }

  // The bucket; Error(not_found) "… run clipkit cluster init" when the cluster has none.
  kvStore* kv();
  std::optional<std::string> kv_get(const std::string& key);
  // Creates key with value unless it exists; returns the stored value either way.
  std::string kv_create(const std::string& key, const std::string& value);
  ClusterConfig config();  // from the bucket

  // Publishes to a stream and waits for its ack (retrying while a stream leader is being
  // elected, up to ~`patience_ms`). Returns true when JetStream called it a duplicate.
  bool publish_js(const std::string& subject, std::span<const uint8_t> bytes, const std::string& msg_id,
                  int64_t patience_ms = 15000);

 private:
  std::string urls_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  kvStore* kv_ = nullptr;
};

// 16 hex digits of SHA-256 over `bytes`, and the shard (of `shards`) a path belongs to.
std::string short_hash(std::span<const uint8_t> bytes);
int shard_of(const std::string& path, int shards);

}  // namespace clipkit::cluster
