// download(): a loopback server serves the bytes; full transfer, a connection cut
// half-way (resumed by the retry in the same call, and by a second call from the .part),
// a corrupted byte (refused, nothing under the final name), HTTP errors with their
// advice, the bearer token, and an unreachable host.
#include "clipkit/fetch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch/file_server.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

std::string fixture_bytes() {
  const auto bytes = testing::read_bytes(testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  return std::string(bytes.begin(), bytes.end());
}

DownloadOptions quick() {
  DownloadOptions o;
  o.first_backoff_s = 0.01;
  o.connect_timeout_s = 5;
  o.stall_timeout_s = 10;
  return o;
}

class Download : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = fixture_bytes();
    server_.add("/m/model.pt", bytes_);
    sha_ = sha256_file(testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
    dest_ = tmp_.path() / "model.pt";
  }
  std::string read(const fs::path& p) {
    const auto b = testing::read_bytes(p);
    return std::string(b.begin(), b.end());
  }
  testing::FileServer server_;
  testing::TempDir tmp_;
  std::string bytes_, sha_;
  fs::path dest_;
};

TEST_F(Download, WholeFileVerifiedAndRenamed) {
  uint64_t last_have = 0, last_total = 0;
  DownloadOptions o = quick();
  o.progress = [&](uint64_t have, uint64_t total) {
    last_have = have;
    last_total = total;
  };
  const DownloadStats stats = download(server_.url("/m/model.pt"), dest_, sha_, bytes_.size(), o);
  EXPECT_EQ(stats.requests, 1);
  EXPECT_EQ(stats.bytes_received, bytes_.size());
  EXPECT_EQ(read(dest_), bytes_);
  EXPECT_FALSE(fs::exists(dest_.string() + ".part"));
  EXPECT_EQ(last_have, bytes_.size());
  EXPECT_EQ(last_total, bytes_.size());
  EXPECT_EQ(server_.requests("/m/model.pt").at(0).range, "");
}

// The connection closes after half the file: the retry asks for the rest with a Range.
TEST_F(Download, CutHalfWayIsResumedByTheRetry) {
  const uint64_t half = bytes_.size() / 2;
  server_.cut("/m/model.pt", half);
  const DownloadStats stats = download(server_.url("/m/model.pt"), dest_, sha_, std::nullopt, quick());
  EXPECT_EQ(read(dest_), bytes_);
  const auto requests = server_.requests("/m/model.pt");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(*requests[0].bytes_sent, half);
  EXPECT_EQ(requests[1].range, "bytes=" + std::to_string(half) + "-");
  EXPECT_EQ(*requests[1].bytes_sent, bytes_.size() - half);
  EXPECT_EQ(stats.bytes_received, bytes_.size());  // nothing fetched twice
  std::printf("file %zu bytes: first request %llu, resumed request %llu (Range %s)\n", bytes_.size(),
              static_cast<unsigned long long>(*requests[0].bytes_sent),
              static_cast<unsigned long long>(*requests[1].bytes_sent), requests[1].range.c_str());
}

// One attempt only: the first call leaves the .part; a second call (a new `clipkit pull`)
// resumes from its size and fetches only the rest.
TEST_F(Download, KilledDownloadResumesFromThePart) {
  const uint64_t cut_at = bytes_.size() * 2 / 5;
  server_.cut("/m/model.pt", cut_at);
  DownloadOptions once = quick();
  once.max_attempts = 1;
  testing::expect_error([&] { download(server_.url("/m/model.pt"), dest_, sha_, bytes_.size(), once); },
                        ErrorCode::not_found, {"model.pt.part", "resume"});
  const fs::path part = dest_.string() + ".part";
  ASSERT_TRUE(fs::exists(part));
  EXPECT_EQ(fs::file_size(part), cut_at);
  EXPECT_FALSE(fs::exists(dest_));

  const DownloadStats stats = download(server_.url("/m/model.pt"), dest_, sha_, bytes_.size(), quick());
  EXPECT_EQ(stats.resumed_from, cut_at);
  EXPECT_EQ(stats.bytes_received, bytes_.size() - cut_at);
  const auto requests = server_.requests("/m/model.pt");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].range, "bytes=" + std::to_string(cut_at) + "-");
  EXPECT_EQ(read(dest_), bytes_);
  EXPECT_FALSE(fs::exists(part));
}

// A .part from an earlier attempt, and a server that answers the Range with the whole
// file (httplib's chunked answer: 206 without Content-Range): those bytes are not appended
// to the .part; the file is asked for again without a Range.
TEST_F(Download, ServerWithoutRangesStartsThePartAgain) {
  server_.ignore_ranges("/m/model.pt");
  testing::write_bytes(dest_.string() + ".part", std::vector<uint8_t>(1000, 0xAB));
  const DownloadStats stats = download(server_.url("/m/model.pt"), dest_, sha_, bytes_.size(), quick());
  EXPECT_EQ(stats.resumed_from, 1000u);
  const auto requests = server_.requests("/m/model.pt");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].range, "bytes=1000-");
  EXPECT_EQ(requests[1].range, "");
  EXPECT_EQ(read(dest_), bytes_);
}

TEST_F(Download, CorruptedByteIsRefusedAndNothingKept) {
  std::string bad = bytes_;
  bad[bad.size() / 3] ^= 0x01;
  server_.add("/m/model.pt", bad);
  testing::expect_error([&] { download(server_.url("/m/model.pt"), dest_, sha_, bytes_.size(), quick()); },
                        ErrorCode::corrupt_data, {"model.pt", "SHA-256 mismatch", sha_, "deleted"});
  EXPECT_FALSE(fs::exists(dest_));
  EXPECT_FALSE(fs::exists(dest_.string() + ".part"));
}

TEST_F(Download, WrongSizeIsRefused) {
  server_.add("/m/short.pt", bytes_.substr(0, 1000));
  testing::expect_error([&] { download(server_.url("/m/short.pt"), dest_, "", bytes_.size(), quick()); },
                        ErrorCode::corrupt_data, {"size mismatch", std::to_string(bytes_.size()), "1000"});
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(Download, NotFoundIsNotRetried) {
  testing::expect_error([&] { download(server_.url("/m/missing.pt"), dest_, "", std::nullopt, quick()); },
                        ErrorCode::not_found, {"/m/missing.pt", "HTTP 404", "stale"});
  EXPECT_EQ(server_.requests("/m/missing.pt").size(), 1u);
  EXPECT_FALSE(fs::exists(dest_));
  EXPECT_FALSE(fs::exists(dest_.string() + ".part"));
}

TEST_F(Download, UnauthorizedAndForbiddenSayHfToken) {
  server_.fail("/gated/401.bin", 401);
  server_.fail("/gated/403.bin", 403);
  testing::expect_error([&] { download(server_.url("/gated/401.bin"), dest_, "", std::nullopt, quick()); },
                        ErrorCode::invalid_argument, {"HTTP 401", "HF_TOKEN", "licence"});
  testing::expect_error([&] { download(server_.url("/gated/403.bin"), dest_, "", std::nullopt, quick()); },
                        ErrorCode::invalid_argument, {"HTTP 403", "HF_TOKEN", "licence"});
  EXPECT_EQ(server_.requests("/gated/401.bin").size(), 1u);
}

TEST_F(Download, ServerErrorsAreRetried) {
  server_.fail("/m/busy.bin", 503);
  DownloadOptions o = quick();
  o.max_attempts = 3;
  testing::expect_error([&] { download(server_.url("/m/busy.bin"), dest_, "", std::nullopt, o); },
                        ErrorCode::not_found, {"HTTP 503", "retries"});
  EXPECT_EQ(server_.requests("/m/busy.bin").size(), 3u);
}

TEST_F(Download, BearerTokenIsSent) {
  DownloadOptions o = quick();
  o.bearer_token = "hf_test_token";
  download(server_.url("/m/model.pt"), dest_, sha_, std::nullopt, o);
  EXPECT_EQ(server_.requests("/m/model.pt").at(0).authorization, "Bearer hf_test_token");
}

TEST_F(Download, UnreachableHostSaysSo) {
  // A port nobody listens on: bind one, then free it.
  int port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    ::close(fd);
  }
  DownloadOptions o = quick();
  o.max_attempts = 2;
  testing::expect_error(
      [&] { download("http://127.0.0.1:" + std::to_string(port) + "/x.bin", dest_, "", std::nullopt, o); },
      ErrorCode::not_found, {"cannot reach 127.0.0.1", "network", "HTTPS_PROXY"});
  EXPECT_FALSE(fs::exists(dest_));
}

TEST(Sha256, KnownDigests) {
  testing::TempDir tmp;
  testing::write_bytes(tmp.path() / "abc", std::vector<uint8_t>{'a', 'b', 'c'});
  EXPECT_EQ(sha256_file(tmp.path() / "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  testing::write_bytes(tmp.path() / "empty", std::vector<uint8_t>{});
  EXPECT_EQ(sha256_file(tmp.path() / "empty"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace clipkit
