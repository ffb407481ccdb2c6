// cluster/messages.hpp — the bytes clipkit's cluster messages carry: jobs, results,
// failures, search queries and answers. A small little-endian binary format (a 4-byte
// tag, then fields; strings and vectors length-prefixed), so that paths keep their exact
// bytes and vectors their exact floats. Decoding reads through core::ByteReader: a
// message that does not parse is Error(corrupt_data) naming the message and the field,
// never a crash or an unbounded allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace clipkit::cluster {

struct JobMessage {
  std::string path;
  std::string hash;  // hex SHA-256 of the content when queued
};

struct ResultMessage {
  std::string id;         // the job's id: content hash + ":" + path hash
  std::string path;
  std::string hash;       // of the content the worker read
  int64_t size = 0;
  int64_t mtime_ns = 0;
  std::string model;      // the model key (model_key()) of the worker's model
  std::string error;      // empty when `vector` holds the embedding
  std::vector<float> vector;  // unit length
};

struct FailureMessage {
  std::string path;
  std::string reason;
  uint32_t deliveries = 0;
};

struct QueryMessage {
  uint32_t k = 10;
  std::optional<float> threshold;
  std::vector<float> vector;
};

struct AnswerMessage {
  int32_t shard = 0;
  std::string replica;
  uint64_t vectors = 0;
  uint64_t lag = 0;
  std::string method;
  std::string error;
  std::vector<std::pair<float, std::string>> hits;  // score, path
};

// The id of a job and of its result: content hash ":" 16 hex digits of the path's hash.
std::string job_id(const std::string& path, const std::string& hash);

std::vector<uint8_t> encode(const JobMessage& m);
std::vector<uint8_t> encode(const ResultMessage& m);
std::vector<uint8_t> encode(const FailureMessage& m);
std::vector<uint8_t> encode(const QueryMessage& m);
std::vector<uint8_t> encode(const AnswerMessage& m);

// `name` is what errors call the message ("job 12 on clipkit.jobs").
JobMessage decode_job(std::span<const uint8_t> bytes, const std::string& name);
ResultMessage decode_result(std::span<const uint8_t> bytes, const std::string& name);
FailureMessage decode_failure(std::span<const uint8_t> bytes, const std::string& name);
QueryMessage decode_query(std::span<const uint8_t> bytes, const std::string& name);
AnswerMessage decode_answer(std::span<const uint8_t> bytes, const std::string& name);

// Largest vector a message may carry (values), and string (bytes).
inline constexpr uint32_t kMaxDim = 1u << 16;
inline constexpr uint32_t kMaxString = 1u << 20;
inline constexpr uint32_t kMaxHits = 100'000;

}  // namespace clipkit::cluster
