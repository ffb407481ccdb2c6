// The server's connection handling over raw sockets (issue 15): slow clients do not starve
// ordinary requests, oversized or unframed bodies are refused at once, pipelined and
// kept-alive requests stay framed, and every refusal is a status with a JSON error.
// A server over an empty index without a model: /api/stats and /api/health answer.
#include <atomic>
#include <gtest/gtest.h>
#include <httplib.h>
#include <thread>

#include "clipkit/server.hpp"
#include "server/raw_http.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

using namespace std::chrono_literals;
using testing::RawAnswer;
using testing::RawConnection;
using Clock = std::chrono::steady_clock;

class Connections : public ::testing::Test {
 protected:
  template <typename F>
  static ServerOptions with(F set) {
    ServerOptions o;
    set(o);
    return o;
  }
  void start(ServerOptions options = {}) {
    options.port = 0;
    options.max_upload_bytes = 1 << 20;
    index_ = ImageIndex::open(tmp_.path() / "empty.clipkit");
    server_ = std::make_unique<Server>(nullptr, index_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  RawAnswer ask(const std::string& request) {
    RawConnection c(port_);
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.read_answer();
  }
  static void expect_refusal(const RawAnswer& a, int status, const std::string& code, const std::string& words) {
    EXPECT_EQ(a.status, status) << a.head << a.body;
    EXPECT_NE(a.head.find("Content-Type: application/json"), std::string::npos) << a.head;
    EXPECT_EQ(a.error_code(), code) << a.body;
    EXPECT_NE(a.error_message().find(words), std::string::npos) << "'" << a.error_message() << "' lacks '" << words << "'";
  }

  testing::TempDir tmp_;
  std::shared_ptr<const ImageIndex> index_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Before: 24 clients sending their headers a byte at a time held all 8 of cpp-httplib's
// threads, and an ordinary request got no answer for 30 s. Here the server has only 2
// workers, fewer than the slow clients, and must still answer while they dribble on.
TEST_F(Connections, SlowHeadersDoNotStarveOrdinaryRequests) {
  start(with([](ServerOptions& o) { o.workers = 2; }));
  constexpr int kSlow = 24;
  std::atomic<bool> done{false};
  std::atomic<int> open{0}, begun{0};
  std::vector<std::thread> slow;
  for (int i = 0; i < kSlow; ++i)
    slow.emplace_back([&] {
      RawConnection c(port_);
      const std::string head = "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
      if (!c.connected()) return;
      open++;
      for (size_t b = 0; b < head.size() && !done; ++b) {
        if (!c.send(head.substr(b, 1))) break;
        if (b == 2) begun++;
        std::this_thread::sleep_for(20ms);
      }
      open--;
    });
  for (auto t0 = Clock::now(); begun < kSlow && Clock::now() - t0 < 5s;) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(begun.load(), kSlow) << "not every slow client could connect and send";

  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(5, 0);
  const auto t0 = Clock::now();
  auto r = client.Get("/api/stats");
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  const int still_open = open.load();
  done = true;
  for (auto& t : slow) t.join();

  ASSERT_TRUE(r) << "no answer within 5 s under " << kSlow << " slow clients";
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(nlohmann::json::parse(r->body)["vectors"], 0);
  EXPECT_EQ(still_open, kSlow) << "the slow clients must still be sending when the answer comes";
  std::cout << "[ measured ] GET /api/stats under " << kSlow << " slow clients, 2 workers: " << ms << " ms\n";
}

// Before: no answer for 20 s+ (cpp-httplib read and dropped the announced body first).
TEST_F(Connections, HugeContentLengthIsRefusedBeforeTheBody) {
  start();
  RawConnection c(port_);
  c.send("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n");
  const RawAnswer a = c.read_answer(3s);
  expect_refusal(a, 413, "resource_exhausted", "Content-Length 99999999999 is over the upload limit of 1048576 bytes");
  EXPECT_NE(a.head.find("Connection: close"), std::string::npos) << a.head;
  EXPECT_TRUE(c.closed_by_server(3s));
}

// A client that sends the body anyway (no Expect) still reads the 413, not a reset.
TEST_F(Connections, OversizedBodySentAnywayStillGets413) {
  start();
  RawConnection c(port_);
  const std::string body(2 << 20, 'x');
  c.send("POST /api/embed/image HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  c.send(body.substr(0, 64 << 10));
  expect_refusal(c.read_answer(3s), 413, "resource_exhausted", "over the upload limit");
}

TEST_F(Connections, PostWithoutLengthGets411) {
  start();
  auto t0 = Clock::now();
  expect_refusal(ask("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n"), 411,
                 "invalid_argument", "POST needs a Content-Length header (or Transfer-Encoding: chunked)");
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST_F(Connections, TwoContentLengthsGet400) {
  start();
  expect_refusal(ask("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nContent-Length: 12\r\n\r\n"
                     R"({"like": 1})"),
                 400, "invalid_argument", "2 Content-Length headers");
  expect_refusal(ask("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
                 400, "invalid_argument", "both Content-Length and Transfer-Encoding");
}

TEST_F(Connections, MalformedHeadsGetJsonErrors) {
  start();
  expect_refusal(ask("GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 << 10, 'a') + "\r\n\r\n"), 431,
                 "resource_exhausted", "over 16384 bytes");
  expect_refusal(ask("GET /api/stats HTTP/1.1\r\nHost x\r\n\r\n"), 400, "invalid_argument", "has no ':'");
  expect_refusal(ask("GET /api/stats HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n"), 400, "invalid_argument",
                 "control character");
  expect_refusal(ask("POST /api/search HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501, "unsupported",
                 "Transfer-Encoding 'gzip' is not supported");
  expect_refusal(ask("GET /api/stats HTTP/3\r\n\r\n"), 505, "unsupported", "HTTP version");
  expect_refusal(ask("BREW /api/stats HTTP/1.1\r\n\r\n"), 400, "invalid_argument", "malformed request");
  // Refusals leave the server serving.
  EXPECT_EQ(ask("GET /api/health HTTP/1.1\r\n\r\n").status, 200);
}

TEST_F(Connections, SlowHeadTimesOutWith408AndIdleConnectionsClose) {
  start(with([](ServerOptions& o) { o.request_timeout = 300ms; }));
  RawConnection slow(port_);
  slow.send("GET /api/stats HTTP/1.1\r\nHo");
  expect_refusal(slow.read_answer(3s), 408, "resource_exhausted", "did not arrive within 300 ms");
  RawConnection idle(port_);
  EXPECT_TRUE(idle.closed_by_server(3s)) << "a connection that sends nothing is closed";
  RawConnection stalled(port_);
  stalled.send("POST /api/search HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"li");
  expect_refusal(stalled.read_answer(3s), 408, "resource_exhausted", "no body bytes for 300 ms (4 came of 10)");
}

// The framing decides where each request ends, even when a handler (here the 404 for an
// unknown route, and the 401 of a missing token) never reads the body.
TEST_F(Connections, PipelinedAndKeptAliveRequestsStayFramed) {
  start(with([](ServerOptions& o) { o.token = "t"; }));
  RawConnection c(port_);
  const std::string body = "GET /api/stats HTTP/1.1\r\n\r\n";  // a body that looks like a request
  c.send("POST /api/nope HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
         "POST /api/search HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
         "GET /api/health HTTP/1.1\r\n\r\n");
  const RawAnswer a1 = c.read_answer(), a2 = c.read_answer(), a3 = c.read_answer();
  EXPECT_EQ(a1.status, 401) << a1.head << a1.body;
  EXPECT_EQ(a2.status, 401) << a2.head << a2.body;
  EXPECT_EQ(a3.status, 200) << a3.head << a3.body;
  EXPECT_EQ(a3.json()["status"], "ok");
  // Chunked, sent in pieces on the same connection.
  c.send("GET /api/stats HTTP/1.1\r\nAuthorization: Bearer t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab");
  std::this_thread::sleep_for(50ms);
  c.send("c\r\n0\r\n\r\nGET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.read_answer().status, 200);
  const RawAnswer last = c.read_answer();
  EXPECT_EQ(last.status, 200);
  EXPECT_NE(last.head.find("Connection: close"), std::string::npos) << last.head;
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(Connections, HalfClosedClientStillGetsItsAnswer) {
  start();
  RawConnection c(port_);
  c.send("GET /api/health HTTP/1.1\r\n\r\n");
  c.shutdown_sending();
  const RawAnswer a = c.read_answer(3s);
  EXPECT_EQ(a.status, 200) << a.head;
  EXPECT_EQ(a.json()["status"], "ok");
  EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(Connections, ExpectContinueIsAnsweredOnce) {
  start();
  RawConnection c(port_);
  const std::string body = R"({"like": 424242})";
  c.send("POST /api/search HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nExpect: 100-continue\r\n\r\n");
  const RawAnswer go = c.read_answer(3s);
  EXPECT_EQ(go.status, 100) << go.head;
  c.send(body);
  const RawAnswer a = c.read_answer(3s);
  expect_refusal(a, 404, "not_found", "424242");
}

TEST_F(Connections, BeyondMaxConnectionsTheLongestWaitingIsDropped) {
  start(with([](ServerOptions& o) { o.max_connections = 4; }));
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port_));
    idle.back()->send("GET /api/st");  // never finished
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(ask("GET /api/health HTTP/1.1\r\n\r\n").status, 200);
  EXPECT_TRUE(idle.front()->closed_by_server(3s)) << "the first slow connection made room";
}

TEST_F(Connections, ManyKeptAliveClientsAllServed) {
  start(with([](ServerOptions& o) { o.workers = 2; }));
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&] {
      httplib::Client c("127.0.0.1", port_);
      c.set_keep_alive(true);
      c.set_read_timeout(5, 0);
      for (int i = 0; i < 25; ++i) {
        auto r = i % 2 ? c.Get("/api/health") : c.Post("/api/search", R"({"like": 1})", "application/json");
        ok += r && r->status == (i % 2 ? 200 : 404);
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8 * 25);
}

}  // namespace
}  // namespace clipkit
