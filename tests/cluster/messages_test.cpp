// The cluster's message format: exact round trips, and a clean corrupt_data naming the
// field for every truncation, a foreign tag, lying lengths, non-finite floats and
// trailing bytes (these bytes come from the network).
#include "cluster/messages.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "clipkit/error.hpp"

namespace clipkit::cluster {
namespace {

ResultMessage sample_result() {
  ResultMessage r;
  r.id = "ab12:cd34";
  r.path = std::string("/photos/caf\xc3\xa9/\xff\xfe.jpg");  // not valid UTF-8: bytes kept
  r.hash = std::string(64, 'f');
  r.size = 123456789012;
  r.mtime_ns = -5;
  r.model = "0123456789abcdef";
  r.vector = {0.5f, -0.25f, 1e-30f, 0.75f};
  return r;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_data) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(ClusterMessages, ResultRoundTripKeepsBytesAndFloats) {
  const ResultMessage r = sample_result();
  const auto bytes = encode(r);
  const ResultMessage back = decode_result(bytes, "result 1");
  EXPECT_EQ(back.id, r.id);
  EXPECT_EQ(back.path, r.path);
  EXPECT_EQ(back.hash, r.hash);
  EXPECT_EQ(back.size, r.size);
  EXPECT_EQ(back.mtime_ns, r.mtime_ns);
  EXPECT_EQ(back.model, r.model);
  EXPECT_EQ(back.error, "");
  ASSERT_EQ(back.vector.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(std::memcmp(&back.vector[i], &r.vector[i], 4), 0);
  // 4 tag + (4+9) id + (4+20) path + (4+64) hash + 8 + 8 + (4+16) model + 4 error + (4+16) vector
  EXPECT_EQ(bytes.size(), 4u + 13 + 24 + 68 + 16 + 20 + 4 + 20);
}

TEST(ClusterMessages, OtherMessagesRoundTrip) {
  const JobMessage j = decode_job(encode(JobMessage{"/a b/c.png", "00ff"}), "job");
  EXPECT_EQ(j.path, "/a b/c.png");
  EXPECT_EQ(j.hash, "00ff");
  const FailureMessage f = decode_failure(encode(FailureMessage{"/x.png", "delivered 6 times", 6}), "failure");
  EXPECT_EQ(f.reason, "delivered 6 times");
  EXPECT_EQ(f.deliveries, 6u);
  const QueryMessage q = decode_query(encode(QueryMessage{7, 0.25f, {0.6f, 0.8f}}), "query");
  EXPECT_EQ(q.k, 7u);
  ASSERT_TRUE(q.threshold);
  EXPECT_EQ(*q.threshold, 0.25f);
  EXPECT_EQ(q.vector, (std::vector<float>{0.6f, 0.8f}));
  AnswerMessage a;
  a.shard = 3;
  a.replica = "r1";
  a.vectors = 1ull << 40;
  a.lag = 12;
  a.method = "ivfpq";
  a.hits = {{0.9f, "/p/1.png"}, {0.5f, "/p/2.png"}};
  const AnswerMessage b = decode_answer(encode(a), "answer");
  EXPECT_EQ(b.shard, 3);
  EXPECT_EQ(b.vectors, 1ull << 40);
  EXPECT_EQ(b.lag, 12u);
  EXPECT_EQ(b.method, "ivfpq");
  EXPECT_EQ(b.hits, a.hits);
}

TEST(ClusterMessages, JobIdIsContentHashThenPathHash) {
  const std::string id = job_id("/photos/a.png", "abc");
  EXPECT_EQ(id.substr(0, 4), "abc:");
  EXPECT_EQ(id.size(), 4u + 16);
  EXPECT_NE(job_id("/photos/b.png", "abc"), id);  // same content elsewhere: another job
  EXPECT_EQ(job_id("/photos/a.png", "abc"), id);  // same file again: the same job (a no-op)
}

TEST(ClusterMessages, EveryTruncationIsANamedError) {
  const auto bytes = encode(sample_result());
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::string what = error_of([&] { decode_result(std::span(bytes).first(n), "result 9 on clipkit.results.1"); });
    EXPECT_NE(what.find("result 9 on clipkit.results.1"), std::string::npos) << what;
  }
}

TEST(ClusterMessages, HostileFieldsAreRefused) {
  auto bytes = encode(sample_result());
  // Another message's tag.
  EXPECT_NE(error_of([&] { decode_job(bytes, "m"); }).find("not a clipkit job message"), std::string::npos);
  // A length that claims 4 GiB: refused before any allocation.
  auto lying = bytes;
  lying[4] = lying[5] = lying[6] = lying[7] = 0xff;
  EXPECT_NE(error_of([&] { decode_result(lying, "m"); }).find("id claims 4294967295 bytes"), std::string::npos);
  // Trailing bytes.
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_NE(error_of([&] { decode_result(longer, "m"); }).find("1 unexpected bytes"), std::string::npos);
  // A NaN in the vector.
  ResultMessage r = sample_result();
  r.vector[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(error_of([&] { decode_result(encode(r), "m"); }).find("not finite"), std::string::npos);
  // Both a vector and an error.
  r = sample_result();
  r.error = "unreadable";
  EXPECT_NE(error_of([&] { decode_result(encode(r), "m"); }).find("either a vector or an error"), std::string::npos);
  // A query asking for 0 results, or with a threshold of 3.
  EXPECT_NE(error_of([&] { decode_query(encode(QueryMessage{0, std::nullopt, {1.0f}}), "q"); }).find("k = 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { decode_query(encode(QueryMessage{5, 3.0f, {1.0f}}), "q"); }).find("threshold outside"),
            std::string::npos);
  // An answer claiming a million hits in a few bytes.
  auto answer = encode(AnswerMessage{});
  const size_t at = answer.size() - 4;
  answer[at] = 0x40;
  answer[at + 1] = 0x42;
  answer[at + 2] = 0x0f;
  answer[at + 3] = 0x00;
  EXPECT_NE(error_of([&] { decode_answer(answer, "a"); }).find("claims 1000000 hits"), std::string::npos);
}

}  // namespace
}  // namespace clipkit::cluster
