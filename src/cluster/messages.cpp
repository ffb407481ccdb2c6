#include "cluster/messages.hpp"

#include <cmath>
#include <cstring>

#include "clipkit/error.hpp"
#include "core/byte_reader.hpp"
#include "search/content_hash.hpp"

namespace clipkit::cluster {

namespace {

constexpr char kJob[] = "CKJ1", kResult[] = "CKR1", kFailure[] = "CKF1", kQuery[] = "CKQ1", kAnswer[] = "CKA1";

class Writer {
 public:
  explicit Writer(const char* tag) : bytes_(tag, tag + 4) {}
  Writer& u8(uint8_t v) { return raw(&v, 1); }
  Writer& u32(uint32_t v) { return raw(&v, 4); }
  Writer& u64(uint64_t v) { return raw(&v, 8); }
  Writer& f32(float v) { return raw(&v, 4); }
  Writer& str(const std::string& s) {
    if (s.size() > kMaxString) throw Error(ErrorCode::invalid_argument, "a string of " + std::to_string(s.size()) +
                                                                            " bytes for a cluster message (at most 1 MiB)");
    u32(static_cast<uint32_t>(s.size()));
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  Writer& floats(const std::vector<float>& v) {
    if (v.size() > kMaxDim) throw Error(ErrorCode::invalid_argument, "a " + std::to_string(v.size()) + "-d vector for a cluster message");
    u32(static_cast<uint32_t>(v.size()));
    for (float x : v) f32(x);
    return *this;
  }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  Writer& raw(const void* p, size_t n) {  // little-endian host (x86-64, aarch64)
    const size_t at = bytes_.size();
    bytes_.resize(at + n);
    std::memcpy(bytes_.data() + at, p, n);
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

class Reader {
 public:
  Reader(std::span<const uint8_t> bytes, const std::string& name, const char* tag, const char* kind)
      : r_(bytes, name), name_(name) {
    auto head = r_.bytes(4, kind);
    if (std::memcmp(head.data(), tag, 4) != 0)
      throw Error(ErrorCode::corrupt_data, name + ": not a clipkit " + kind + " message (it starts with bytes other than '" +
                                               tag + "')");
  }
  uint8_t u8(const char* what) { return r_.u8(what); }
  uint32_t u32(const char* what) { return r_.u32le(what); }
  uint64_t u64(const char* what) { return r_.u64le(what); }
  float f32(const char* what) {
    uint32_t bits = r_.u32le(what);
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  std::string str(const char* what) {
    const uint32_t n = r_.u32le(what);
    if (n > kMaxString) fail(std::string(what) + " claims " + std::to_string(n) + " bytes (at most 1 MiB)");
    auto b = r_.bytes(n, what);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::vector<float> floats(const char* what) {
    const uint32_t n = r_.u32le(what);
    if (n > kMaxDim) fail(std::string(what) + " claims " + std::to_string(n) + " values (at most 65536)");
    r_.require(r_.offset(), 4ull * n, what);
    std::vector<float> v(n);
    for (auto& x : v) {
      x = f32(what);
      if (!std::isfinite(x)) fail(std::string(what) + " holds a value that is not finite");
    }
    return v;
  }
  void end() {
    if (r_.offset() != r_.size())
      fail(std::to_string(r_.size() - r_.offset()) + " unexpected bytes after the last field");
  }
  [[noreturn]] void fail(const std::string& what) { throw Error(ErrorCode::corrupt_data, name_ + ": " + what); }

 private:
  core::ByteReader r_;
  std::string name_;
};

}  // namespace

std::string job_id(const std::string& path, const std::string& hash) {
  return hash + ":" + search::sha256_hex({reinterpret_cast<const uint8_t*>(path.data()), path.size()}).substr(0, 16);
}

std::vector<uint8_t> encode(const JobMessage& m) { return Writer(kJob).str(m.path).str(m.hash).take(); }

std::vector<uint8_t> encode(const ResultMessage& m) {
  return Writer(kResult)
      .str(m.id)
      .str(m.path)
      .str(m.hash)
      .u64(static_cast<uint64_t>(m.size))
      .u64(static_cast<uint64_t>(m.mtime_ns))
      .str(m.model)
      .str(m.error)
      .floats(m.vector)
      .take();
}

std::vector<uint8_t> encode(const FailureMessage& m) {
  return Writer(kFailure).str(m.path).str(m.reason).u32(m.deliveries).take();
}

std::vector<uint8_t> encode(const QueryMessage& m) {
  return Writer(kQuery).u32(m.k).u8(m.threshold ? 1 : 0).f32(m.threshold.value_or(0)).floats(m.vector).take();
}

std::vector<uint8_t> encode(const AnswerMessage& m) {
  Writer w(kAnswer);
  w.u32(static_cast<uint32_t>(m.shard)).str(m.replica).u64(m.vectors).u64(m.lag).str(m.method).str(m.error);
  w.u32(static_cast<uint32_t>(m.hits.size()));
  for (const auto& [score, path] : m.hits) w.f32(score).str(path);
  return w.take();
}

JobMessage decode_job(std::span<const uint8_t> bytes, const std::string& name) {
  Reader r(bytes, name, kJob, "job");
  JobMessage m;
  m.path = r.str("path");
  m.hash = r.str("content hash");
  r.end();
  if (m.path.empty()) r.fail("an empty path");
  return m;
}

ResultMessage decode_result(std::span<const uint8_t> bytes, const std::string& name) {
  Reader r(bytes, name, kResult, "result");
  ResultMessage m;
  m.id = r.str("id");
  m.path = r.str("path");
  m.hash = r.str("content hash");
  m.size = static_cast<int64_t>(r.u64("size"));
  m.mtime_ns = static_cast<int64_t>(r.u64("mtime"));
  m.model = r.str("model key");
  m.error = r.str("error");
  m.vector = r.floats("vector");
  r.end();
  if (m.path.empty()) r.fail("an empty path");
  if (m.error.empty() == m.vector.empty()) r.fail("a result needs either a vector or an error, not both or neither");
  return m;
}

FailureMessage decode_failure(std::span<const uint8_t> bytes, const std::string& name) {
  Reader r(bytes, name, kFailure, "failure");
  FailureMessage m;
  m.path = r.str("path");
  m.reason = r.str("reason");
  m.deliveries = r.u32("deliveries");
  r.end();
  return m;
}

QueryMessage decode_query(std::span<const uint8_t> bytes, const std::string& name) {
  Reader r(bytes, name, kQuery, "search query");
  QueryMessage m;
  m.k = r.u32("k");
  const uint8_t has_threshold = r.u8("threshold flag");
  const float threshold = r.f32("threshold");
  if (has_threshold > 1) r.fail("a threshold flag of " + std::to_string(has_threshold));
  if (has_threshold) {
    if (!(threshold >= -1 && threshold <= 1)) r.fail("a threshold outside [-1, 1]");
    m.threshold = threshold;
  }
  m.vector = r.floats("query vector");
  r.end();
  if (m.k < 1 || m.k > kMaxHits) r.fail("k = " + std::to_string(m.k) + " (1 to 100000)");
  if (m.vector.empty()) r.fail("an empty query vector");
  return m;
}

AnswerMessage decode_answer(std::span<const uint8_t> bytes, const std::string& name) {
  Reader r(bytes, name, kAnswer, "search answer");
  AnswerMessage m;
  m.shard = static_cast<int32_t>(r.u32("shard"));
  m.replica = r.str("replica");
  m.vectors = r.u64("vector count");
  m.lag = r.u64("lag");
  m.method = r.str("method");
  m.error = r.str("error");
  const uint32_t n = r.u32("hit count");
  if (n > kMaxHits) r.fail("claims " + std::to_string(n) + " hits (at most 100000)");
  for (uint32_t i = 0; i < n; ++i) {
    const float score = r.f32("hit score");
    if (!std::isfinite(score)) r.fail("a hit score that is not finite");
    m.hits.emplace_back(score, r.str("hit path"));
  }
  r.end();
  return m;
}

}  // namespace clipkit::cluster
