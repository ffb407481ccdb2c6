// The HTTP API in-process on a loopback port: searches, embeddings, image bytes by id,
// error answers (4xx + JSON), the token, and a bounded concurrent load.
#include "clipkit/server.hpp"
#include "clipkit/utf8.hpp"

#include <atomic>
#include <cstdio>
#include <gtest/gtest.h>
#include <httplib.h>
#include <thread>

#include "search/search_test_util.hpp"
#include "server/raw_http.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One index and model for the whole suite; each test starts its own server.
class Api : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new testing::TempDir();
    const fs::path dir = tmp_->path() / "photos";
    fs::create_directories(dir);
    for (const char* name : {"chelsea.png", "rocket.jpg", "astronaut.png", "coffee.png", "camera.png", "logo.png"})
      fs::copy_file(testing::images_dir() / name, dir / name);
    fs::copy_file(dir / "rocket.jpg", dir / "rocket2.jpg");
    clip_ = std::make_shared<const Clip>(testing::tiny_clip());
    auto index = ImageIndex::open(tmp_->path() / "p.clipkit");
    std::vector<fs::path> roots = {dir};
    index->add(*clip_, roots);
    index_ = std::move(index);
  }
  static void TearDownTestSuite() {
    index_.reset();
    clip_.reset();
    delete tmp_;
  }

  void start(ServerOptions options = {}) {
    options.port = 0;
    options.max_upload_bytes = 1 << 20;
    server_ = std::make_unique<Server>(clip_, index_, options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }
  static int64_t id_of(const std::string& name) {
    return index_->find(tmp_->path() / "photos" / name).value().id;
  }
  static std::string file_bytes(const std::string& name) {
    return testing::read_text(testing::images_dir() / name);
  }
  // Status, and the parsed JSON body (which every /api answer must have).
  static std::pair<int, json> parse(const httplib::Result& r) {
    if (!r) return {-1, json()};
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << r->body.substr(0, 200);
    return {r->status, json::parse(r->body, nullptr, false)};
  }
  static void expect_error(const httplib::Result& r, int status, const std::string& code) {
    auto [got, body] = parse(r);
    EXPECT_EQ(got, status) << (r ? r->body : "no response");
    ASSERT_TRUE(body.is_object() && body.contains("error")) << (r ? r->body : "no response");
    EXPECT_EQ(body["error"]["code"], code);
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }
  // The error code and words in its message.
  static void expect_error(const httplib::Result& r, int status, const std::string& code, const std::string& words) {
    expect_error(r, status, code);
    const json body = parse(r).second;
    const std::string message = body.is_object() && body.contains("error") ? body["error"].value("message", "") : "";
    EXPECT_NE(message.find(words), std::string::npos) << "'" << message << "' lacks '" << words << "'";
  }

  static testing::TempDir* tmp_;
  static std::shared_ptr<const Clip> clip_;
  static std::shared_ptr<const ImageIndex> index_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};
testing::TempDir* Api::tmp_ = nullptr;
std::shared_ptr<const Clip> Api::clip_;
std::shared_ptr<const ImageIndex> Api::index_;

TEST_F(Api, HealthStatsAndPage) {
  start();
  auto c = client();
  auto [status, health] = parse(c.Get("/api/health"));
  EXPECT_EQ(status, 200);
  EXPECT_EQ(health["status"], "ok");
  auto [s2, stats] = parse(c.Get("/api/stats"));
  EXPECT_EQ(s2, 200);
  EXPECT_EQ(stats["vectors"], 7);
  EXPECT_EQ(stats["dim"], clip_->model().embed_dim());
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>clipkit search</title>"), std::string::npos);
}

TEST_F(Api, SearchesMatchTheLibrary) {
  start();
  auto c = client();
  const auto query = normalized(clip_->embed_text("a rocket"));
  SearchOptions o;
  o.k = 4;
  auto expected = index_->search(query, o);
  auto check = [&](const httplib::Result& r) {
    auto [status, body] = parse(r);
    ASSERT_EQ(status, 200) << body.dump();
    ASSERT_EQ(body["results"].size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(body["results"][i]["id"], expected[i].id);
      EXPECT_NEAR(body["results"][i]["score"].get<double>(), expected[i].score, 1e-6);
      EXPECT_EQ(body["results"][i]["rank"], i + 1);
      EXPECT_EQ(body["results"][i]["url"], "/api/images/" + std::to_string(expected[i].id));
    }
  };
  check(c.Get("/api/search?q=a%20rocket&k=4"));
  check(c.Post("/api/search", R"({"text": "a rocket", "k": 4})", "application/json"));

  // By uploaded image: the rocket and its copy score 1.
  auto [s1, by_image] = parse(c.Post("/api/search/image?k=2", file_bytes("rocket.jpg"), "image/jpeg"));
  ASSERT_EQ(s1, 200) << by_image.dump();
  for (const auto& r : by_image["results"]) EXPECT_NEAR(r["score"].get<double>(), 1.0, 1e-5);
  httplib::MultipartFormDataItems form = {{"image", file_bytes("rocket.jpg"), "rocket.jpg", "image/jpeg"}};
  auto [s2, multipart] = parse(c.Post("/api/search/image?k=2", form));
  ASSERT_EQ(s2, 200) << multipart.dump();
  EXPECT_EQ(multipart["results"], by_image["results"]);

  // Like an indexed image: itself left out, its copy first.
  const int64_t rocket = id_of("rocket.jpg");
  auto [s3, like] = parse(c.Post("/api/search", json{{"like", rocket}, {"k", 3}}.dump(), "application/json"));
  ASSERT_EQ(s3, 200) << like.dump();
  EXPECT_EQ(like["results"][0]["id"], id_of("rocket2.jpg"));
  for (const auto& r : like["results"]) EXPECT_NE(r["id"], rocket);

  // Embeddings equal the library's.
  auto [s4, text] = parse(c.Post("/api/embed/text", R"({"text": "a rocket"})", "application/json"));
  ASSERT_EQ(s4, 200);
  EXPECT_GE(testing::cosine(text["embedding"].get<std::vector<float>>(), query), testing::kMinCosine);
  auto [s5, image] = parse(c.Post("/api/embed/image", file_bytes("coffee.png"), "image/png"));
  ASSERT_EQ(s5, 200);
  EXPECT_GE(testing::cosine(image["embedding"].get<std::vector<float>>(), index_->vector(id_of("coffee.png"))),
            testing::kMinCosine);
}

TEST_F(Api, ImageBytesOnlyByIndexedId) {
  start();
  auto c = client();
  auto r = c.Get("/api/images/" + std::to_string(id_of("coffee.png")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(r->body, file_bytes("coffee.png"));
  expect_error(c.Get("/api/images/999999"), 404, "not_found");
  for (const char* path : {"/api/images/../../../etc/passwd", "/api/images/%2e%2e%2fetc%2fpasswd", "/api/images/-1",
                           "/api/images/1/../2", "/etc/passwd", "/../../etc/passwd", "/api/images/99999999999999999999999"})
    expect_error(c.Get(path), 404, "not_found");
}

TEST_F(Api, BadRequestsGet4xxJson) {
  start();
  auto c = client();
  expect_error(c.Post("/api/search", "{not json", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", "[1, 2]", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"k": 3})", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"text": 5})", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"text": "x", "k": 0})", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"text": "x", "k": "many"})", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"text": "   "})", "application/json"), 400, "invalid_argument");
  expect_error(c.Post("/api/search", R"({"like": 424242})", "application/json"), 404, "not_found");
  expect_error(c.Get("/api/search"), 400, "invalid_argument");
  expect_error(c.Get("/api/search?q=x&k=-5"), 400, "invalid_argument");
  expect_error(c.Get("/api/search?q=x&threshold=abc"), 400, "invalid_argument");
  expect_error(c.Get("/api/nope"), 404, "not_found");
  expect_error(c.Delete("/api/search"), 404, "not_found");
  expect_error(c.Post("/api/search/image", "", "image/png"), 400, "invalid_argument");
  expect_error(c.Post("/api/search/image", "this is not an image", "image/png"), 415, "unsupported");
  std::string truncated = file_bytes("rocket.jpg");
  truncated.resize(truncated.size() / 3);
  expect_error(c.Post("/api/search/image", truncated, "image/jpeg"), 422, "corrupt_data");
  expect_error(c.Post("/api/embed/image", std::string(2 << 20, 'x'), "image/png"), 413, "resource_exhausted");
  // The server is still fine afterwards.
  EXPECT_EQ(parse(c.Get("/api/health")).first, 200);
}

TEST_F(Api, TokenGuardsTheApi) {
  start({.token = "s3cret"});
  auto c = client();
  expect_error(c.Get("/api/stats"), 401, "unauthenticated");
  httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
  expect_error(c.Get("/api/stats", wrong), 401, "unauthenticated");
  httplib::Headers right = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(parse(c.Get("/api/stats", right)).first, 200);
  const std::string image = "/api/images/" + std::to_string(id_of("logo.png"));
  auto img = c.Get(image, right);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->status, 200);
  EXPECT_EQ(img->body, file_bytes("logo.png"));
  EXPECT_EQ(parse(c.Get("/api/health")).first, 200) << "health stays open for probes";
}

// Issue 15: the token only counts in the header; in a URL it would land in logs and history.
TEST_F(Api, TokenInTheUrlIsRefused) {
  start({.token = "s3cret"});
  auto c = client();
  const std::string image = "/api/images/" + std::to_string(id_of("logo.png"));
  expect_error(c.Get(image + "?token=s3cret"), 401, "unauthenticated", "not accepted");
  expect_error(c.Get("/api/stats?token=s3cret"), 401, "unauthenticated", "URL");
  expect_error(c.Get("/api/search?q=a&token=s3cret"), 401, "unauthenticated", "URL");
  httplib::Headers basic = {{"Authorization", "Basic czNjcmV0"}};
  expect_error(c.Get("/api/stats", basic), 401, "unauthenticated", "wrong bearer token");
  // Two Authorization headers are not a way around the check.
  testing::RawConnection raw(port_);
  raw.send("GET /api/stats HTTP/1.1\r\nAuthorization: Bearer nope\r\nAuthorization: Bearer s3cret\r\n\r\n");
  EXPECT_EQ(raw.read_answer().status, 401);
}

// Issue 15: mutually exclusive query kinds and duplicated settings are refused, by name.
TEST_F(Api, ConflictingQueriesAreRefused) {
  start();
  auto c = client();
  const std::string both = json{{"text", "a rocket"}, {"like", id_of("rocket.jpg")}}.dump();
  expect_error(c.Post("/api/search", both, "application/json"), 400, "invalid_argument",
               "give one of \"text\" and \"like\", not both");
  expect_error(c.Post("/api/search?k=3", R"({"text": "a rocket", "k": 4})", "application/json"), 400,
               "invalid_argument", "\"k\" is given both in the URL and in the body");
  expect_error(c.Post("/api/search?threshold=0.1", R"({"like": 1, "threshold": 0.2})", "application/json"), 400,
               "invalid_argument", "\"threshold\" is given both");
  expect_error(c.Get("/api/search?q=a&q=b"), 400, "invalid_argument", "the q parameter is given 2 times");
  expect_error(c.Get("/api/search?q=a&k=2&k=3"), 400, "invalid_argument", "the k parameter is given 2 times");
  expect_error(c.Post("/api/search", R"({"txt": "a rocket"})", "application/json"), 400, "invalid_argument",
               "unknown field \"txt\"");
  expect_error(c.Post("/api/embed/text", R"({"text": "a", "like": 1})", "application/json"), 400,
               "invalid_argument", "unknown field \"like\"");
}

// A query text is refused by its length before it is tokenized (ServerOptions::max_text_bytes,
// 16 KiB by default): CLIP reads 77 tokens, and tokenizing costs time per byte.
TEST_F(Api, LongQueryTextsAreRefusedByLength) {
  start();
  auto c = client();
  std::string at_limit;
  while (at_limit.size() < (16u << 10)) at_limit += "a rocket ";
  at_limit.resize(16u << 10);
  auto [status, embedded] = parse(c.Post("/api/embed/text", json{{"text", at_limit}}.dump(), "application/json"));
  ASSERT_EQ(status, 200) << embedded.dump().substr(0, 200);
  EXPECT_GE(testing::cosine(embedded["embedding"].get<std::vector<float>>(), clip_->embed_text(at_limit)),
            testing::kMinCosine);
  const std::string over = at_limit + "b";
  expect_error(c.Post("/api/embed/text", json{{"text", over}}.dump(), "application/json"), 400, "invalid_argument",
               "the query text is 16385 bytes, over the limit of 16384 bytes");
  // Bytes, not characters: 8193 two-byte characters are 16386 bytes.
  std::string cyrillic;
  for (int i = 0; i < 8193; ++i) cyrillic += "\xd0\xb4";
  expect_error(c.Post("/api/search", json{{"text", cyrillic}}.dump(), "application/json"), 400, "invalid_argument",
               "16386 bytes, over the limit of 16384");
  const std::string huge(900u << 10, 'x');
  expect_error(c.Post("/api/search", json{{"text", huge}, {"k", 3}}.dump(), "application/json"), 400,
               "invalid_argument", "over the limit of 16384 bytes");
}

TEST_F(Api, QueryTextLimitIsAnOption) {
  ServerOptions options;
  options.max_text_bytes = 100;
  start(options);
  auto c = client();
  EXPECT_EQ(parse(c.Get("/api/search?q=" + std::string(100, 'a'))).first, 200);
  expect_error(c.Get("/api/search?q=" + std::string(101, 'a')), 400, "invalid_argument",
               "the query text is 101 bytes, over the limit of 100 bytes");
  expect_error(c.Post("/api/search", json{{"text", std::string(101, 'a')}}.dump(), "application/json"), 400,
               "invalid_argument", "over the limit of 100 bytes");
}

// A chunked upload is read to its end (and framed by the server, not the handler).
TEST_F(Api, ChunkedBodiesAreAccepted) {
  start();
  const std::string body = R"({"text": "a rocket", "k": 2})";
  testing::RawConnection raw(port_);
  std::string chunked;
  for (size_t at = 0; at < body.size(); at += 7) {
    const std::string piece = body.substr(at, 7);
    char size[8];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    chunked += std::string(size) + "\r\n" + piece + "\r\n";
  }
  raw.send("POST /api/search HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked + "0\r\n\r\n");
  const testing::RawAnswer a = raw.read_answer();
  ASSERT_EQ(a.status, 200) << a.head << a.body;
  auto [status, expected] = parse(client().Post("/api/search", body, "application/json"));
  ASSERT_EQ(status, 200);
  EXPECT_EQ(a.json()["results"], expected["results"]);
  // Over the upload limit (1 MiB here) when decoded: refused as soon as the size line says so.
  testing::RawConnection big(port_);
  big.send("POST /api/embed/image HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n");
  const testing::RawAnswer refused = big.read_answer();
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.error_message().find("chunked body is over the upload limit of 1048576 bytes"), std::string::npos)
      << refused.body;
}

// Bounded load: 8 clients × 40 mixed requests; every one must succeed with the right answer.
TEST_F(Api, ConcurrentClientsAllSucceed) {
  start();
  const auto rocket_query = normalized(clip_->embed_text("a rocket"));
  SearchOptions o;
  o.k = 3;
  const int64_t top = index_->search(rocket_query, o).at(0).id;
  const std::string rocket = file_bytes("rocket.jpg");
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t)
    clients.emplace_back([&, t] {
      auto c = client();
      for (int i = 0; i < 40; ++i) {
        const int kind = (t + i) % 4;
        httplib::Result r = kind == 0   ? c.Get("/api/search?q=a%20rocket&k=3")
                            : kind == 1 ? c.Post("/api/search/image?k=2", rocket, "image/jpeg")
                            : kind == 2 ? c.Get("/api/images/" + std::to_string(top))
                                        : c.Get("/api/stats");
        bool good = r && r->status == 200;
        if (good && (t + i) % 4 == 0) good = json::parse(r->body)["results"][0]["id"] == top;
        (good ? ok : failed)++;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), 8 * 40);
}

// Paths are bytes: a file whose name is Latin-1 ("café" with 0xE9) comes back as the
// CLI's --json gives it, U+FFFD for display and the exact bytes in base64.
TEST(ApiPaths, PathsThatAreNotUtf8ComeWithTheirBytes) {
  testing::TempDir tmp;
  const std::string name = "caf\xe9.png";
  fs::create_directories(tmp.path() / "photos");
  fs::copy_file(testing::images_dir() / "coffee.png", tmp.path() / "photos" / name);
  auto clip = std::make_shared<const Clip>(testing::tiny_clip());
  std::shared_ptr<ImageIndex> index = ImageIndex::open(tmp.path() / "p.clipkit");
  std::vector<fs::path> roots = {tmp.path() / "photos"};
  index->add(*clip, roots);
  ServerOptions options;
  options.port = 0;
  Server server(clip, index, options);
  const int port = server.bind();
  std::thread thread([&] { server.run(); });
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/api/search?q=coffee&k=1");
  server.stop();
  thread.join();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json hit = json::parse(r->body)["results"][0];
  const std::string full = (tmp.path() / "photos" / name).string();
  EXPECT_EQ(hit["name"], "caf\xef\xbf\xbd.png");
  EXPECT_EQ(hit["name_b64"], "Y2Fm6S5wbmc=");  // base64 of 63 61 66 e9 2e 70 6e 67
  EXPECT_EQ(hit["path"], full.substr(0, full.size() - 5) + "\xef\xbf\xbd.png");
  EXPECT_EQ(hit["path_b64"], base64(full));
}

}  // namespace
}  // namespace clipkit
