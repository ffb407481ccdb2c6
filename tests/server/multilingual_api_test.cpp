// Multilingual search through the HTTP API (issue 9): a server whose Clip pairs M-CLIP's
// text tower with an OpenAI CLIP image tower answers Chinese, Japanese, Arabic, Russian
// and Korean queries (GET with a percent-encoded UTF-8 q, and POST JSON) with the
// cosines of the reference embeddings (tests/data/xlmr/models/mclip/expected.json).
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "clipkit/server.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

TEST(MultilingualApi, MclipPairAnswersEveryScript) {
  const fs::path mclip = testing::source_dir() / "tests/data/xlmr/models/mclip";
  const json e = testing::read_json(mclip / "expected.json");
  testing::TempDir tmp;
  const fs::path photos = tmp.path() / "photos";
  fs::create_directories(photos);
  for (const auto& name : e["images"])
    fs::copy_file(testing::images_dir() / name.get<std::string>(), photos / name.get<std::string>());

  ClipOptions options;
  options.model.text_model = mclip;
  options.decode.apply_exif_orientation = false;
  auto clip = std::make_shared<const Clip>(
      Clip::load(testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt", options));
  auto index = ImageIndex::open(tmp.path() / "p.clipkit");
  const std::vector<fs::path> roots = {photos};
  index->add(*clip, roots);
  std::shared_ptr<const ImageIndex> shared_index = std::move(index);

  ServerOptions server_options;
  server_options.port = 0;
  Server server(clip, shared_index, server_options);
  const int port = server.bind();
  std::thread thread([&] { server.run(); });
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);

  const size_t k = e["images"].size();
  for (size_t t : {1, 2, 3, 4, 5}) {  // zh, ja, ar, ru, ko
    const std::string text = e["texts"][t].get<std::string>();
    const auto by_get = c.Get("/api/search?k=" + std::to_string(k) + "&q=" + percent_encode(text));
    const auto by_post = c.Post("/api/search", json{{"text", text}, {"k", k}}.dump(), "application/json");
    for (const auto* r : {&by_get, &by_post}) {
      ASSERT_TRUE(*r) << text;
      ASSERT_EQ((*r)->status, 200) << (*r)->body;
      const json results = json::parse((*r)->body)["results"];
      ASSERT_EQ(results.size(), k) << text;
      const auto want_text = e["text_features"][t].get<std::vector<float>>();
      double previous = 2;
      for (const auto& hit : results) {
        const std::string name = fs::path(hit["path"].get<std::string>()).filename().string();
        size_t i = 0;
        while (i < k && e["images"][i] != name) ++i;
        ASSERT_LT(i, k) << name;
        const double want = testing::cosine(e["image_features"][i].get<std::vector<float>>(), want_text);
        EXPECT_NEAR(hit["score"].get<double>(), want, 1e-4) << text << " " << name;
        EXPECT_LE(want, previous + 1e-6) << text << ": " << name << " ranked above a closer image";
        previous = want;
      }
    }
  }
  server.stop();
  thread.join();
}

}  // namespace
}  // namespace clipkit
