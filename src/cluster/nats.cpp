#include "cluster/nats.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "clipkit/error.hpp"
#include "search/content_hash.hpp"

namespace clipkit::cluster {

namespace names {
std::string results(int shard) { return "clipkit.results." + std::to_string(shard); }
std::string search(int shard) { return "clipkit.search." + std::to_string(shard); }
std::string status(int shard) { return "clipkit.status." + std::to_string(shard); }
}  // namespace names

natsStatus with_patience(const std::function<natsStatus()>& call, int64_t patience_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms);
  for (int attempt = 0;; ++attempt) {
    const natsStatus s = call();
    if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) || std::chrono::steady_clock::now() >= until) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 100 << std::min(attempt, 4))));
  }
}

void check(natsStatus s, const std::string& what, jsErrCode js_error) {
  if (s == NATS_OK) return;
  std::string text = what + ": " + natsStatus_GetText(s);
  if (js_error) text += " (JetStream error " + std::to_string(static_cast<int>(js_error)) + ")";
  natsStatus last = NATS_OK;
  if (const char* detail = nats_GetLastError(&last); detail && *detail && last != NATS_OK) {
    std::string d = detail;
    if (d.size() > 300) d.resize(300);
    text += " — " + d;
  }
  throw Error(ErrorCode::not_found, text);  // as clipkit pull says "cannot reach"
}

std::span<const uint8_t> data(const natsMsg* m) {
  const char* d = natsMsg_GetData(m);
  const int n = natsMsg_GetDataLength(m);
  return {reinterpret_cast<const uint8_t*>(d), d && n > 0 ? static_cast<size_t>(n) : 0};
}

Nats::Nats(const std::string& urls) : urls_(urls) {
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "NATS options");
  std::unique_ptr<natsOptions, void (*)(natsOptions*)> owned(opts, natsOptions_Destroy);
  // natsOptions_SetURL takes one URL: a list goes to SetServers.
  std::vector<std::string> list;
  for (size_t at = 0; at <= urls.size();) {
    size_t comma = urls.find(',', at);
    if (comma == std::string::npos) comma = urls.size();
    std::string one = urls.substr(at, comma - at);
    one.erase(0, one.find_first_not_of(" \t"));
    one.erase(one.find_last_not_of(" \t") + 1);
    if (!one.empty()) list.push_back(one);
    at = comma + 1;
  }
  if (list.empty()) throw Error(ErrorCode::invalid_argument, "no NATS server URL given");
  std::vector<const char*> servers;
  for (const auto& one : list) servers.push_back(one.c_str());
  check(natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size())), "NATS server list '" + urls + "'");
  natsOptions_SetTimeout(opts, 2000);
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 250);
  natsOptions_SetName(opts, "clipkit");
  check(natsConnection_Connect(&nc_, opts), "connecting to NATS at " + urls);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 5000;
  if (natsStatus s = natsConnection_JetStream(&js_, nc_, &jo); s != NATS_OK) {
    natsConnection_Destroy(nc_);
    check(s, "JetStream at " + urls);
  }
}

Nats::~Nats() {
  if (kv_) kvStore_Destroy(kv_);
  if (js_) jsCtx_Destroy(js_);
  if (nc_) {
    natsConnection_Flush(nc_);
    natsConnection_Destroy(nc_);
  }
}

kvStore* Nats::kv() {
  if (kv_) return kv_;
  jsErrCode err = static_cast<jsErrCode>(0);
  (void)err;
  natsStatus s = js_KeyValue(&kv_, js_, names::kBucket);
  if (s == NATS_NOT_FOUND)
    throw Error(ErrorCode::not_found, "no clipkit cluster at " + urls_ + " (no '" + names::kBucket +
                                          "' bucket): run clipkit cluster init --nats " + urls_ + " --shards N first");
  check(s, "the '" + std::string(names::kBucket) + "' bucket at " + urls_);
  return kv_;
}

std::optional<std::string> Nats::kv_get(const std::string& key) {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv(), key.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  check(s, "reading '" + key + "' from the cluster's bucket");
  std::string value(static_cast<const char*>(kvEntry_Value(e)), static_cast<size_t>(kvEntry_ValueLen(e)));
  kvEntry_Destroy(e);
  return value;
}

std::string Nats::kv_create(const std::string& key, const std::string& value) {
  uint64_t rev = 0;
  natsStatus s = kvStore_Create(&rev, kv(), key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return value;
  // Another process created it first (or the create failed): the stored value decides.
  if (auto stored = kv_get(key)) return *stored;
  check(s, "writing '" + key + "' to the cluster's bucket");
  return value;
}

ClusterConfig Nats::config() {
  auto text = kv_get("config");
  if (!text)
    throw Error(ErrorCode::not_found, "the clipkit cluster at " + urls_ +
                                          " has no configuration: run clipkit cluster init --nats " + urls_ + " --shards N");
  try {
    auto j = nlohmann::json::parse(*text);
    ClusterConfig c;
    c.shards = j.at("shards").get<int>();
    c.replicas = j.at("replicas").get<int>();
    if (c.shards < 1 || c.shards > 4096) throw std::out_of_range("shards");
    return c;
  } catch (const std::exception& e) {
    throw Error(ErrorCode::corrupt_data, "the clipkit cluster at " + urls_ + " has a configuration that does not parse (" +
                                             e.what() + "): " + text->substr(0, 200));
  }
}

bool Nats::publish_js(const std::string& subject, std::span<const uint8_t> bytes, const std::string& msg_id,
                      int64_t patience_ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(patience_ms);
  for (int attempt = 0;; ++attempt) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = msg_id.c_str();
    po.MaxWait = 5000;
    jsPubAck* ack = nullptr;
    jsErrCode err = static_cast<jsErrCode>(0);
    natsStatus s = js_Publish(&ack, js_, subject.c_str(), bytes.data(), static_cast<int>(bytes.size()), &po, &err);
    if (s == NATS_OK) {
      const bool duplicate = ack && ack->Duplicate;
      jsPubAck_Destroy(ack);
      return duplicate;
    }
    // No responders / timeouts: a stream leader is being elected or a server is down.
    if (std::chrono::steady_clock::now() >= until) check(s, "publishing to " + subject, err);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 100 << std::min(attempt, 4))));
  }
}

std::string short_hash(std::span<const uint8_t> bytes) { return search::sha256_hex(bytes).substr(0, 16); }

int shard_of(const std::string& path, int shards) {
  const std::string h = short_hash({reinterpret_cast<const uint8_t*>(path.data()), path.size()});
  return static_cast<int>(std::stoull(h, nullptr, 16) % static_cast<uint64_t>(shards));
}

}  // namespace clipkit::cluster
