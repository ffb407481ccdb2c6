// Multilingual search through the CLI (issue 9): images indexed with an XLM-RoBERTa
// model, queried in Chinese, Japanese, Arabic, Russian and Korean; and the same with
// M-CLIP's text tower paired with an OpenAI CLIP image tower (`--text-model`), where the
// index records the pair and later searches reuse it. Every score must be the cosine of
// the reference embeddings (tests/data/xlmr/models/*/expected.json), in rank order.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

fs::path xlmr(const std::string& name) { return testing::source_dir() / "tests/data/xlmr/models" / name; }
fs::path tiny_clip_jit() { return testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt"; }

// Copies the fixture's images into tmp/images.
fs::path copy_images(const testing::TempDir& tmp, const nlohmann::json& e) {
  const fs::path images = tmp.path() / "images";
  fs::create_directories(images);
  for (const auto& name : e["images"])
    fs::copy_file(testing::images_dir() / name.get<std::string>(), images / name.get<std::string>());
  return images;
}

// `search --json` for text `t` gives every image, scored by the reference cosines, best first.
void expect_search_matches(const std::vector<std::string>& search_args, const nlohmann::json& e, size_t t) {
  std::vector<std::string> args = search_args;
  args.insert(args.end(), {"--json", "-k", std::to_string(e["images"].size()), e["texts"][t].get<std::string>()});
  const auto r = testing::run_clipkit(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(r.out)["results"];
  ASSERT_EQ(results.size(), e["images"].size()) << e["texts"][t];
  const auto text = e["text_features"][t].get<std::vector<float>>();
  double previous = 2;
  for (const auto& hit : results) {
    const std::string name = fs::path(hit["path"].get<std::string>()).filename().string();
    size_t i = 0;
    while (i < e["images"].size() && e["images"][i] != name) ++i;
    ASSERT_LT(i, e["images"].size()) << name;
    const double want = testing::cosine(e["image_features"][i].get<std::vector<float>>(), text);
    EXPECT_NEAR(hit["score"].get<double>(), want, 1e-4) << e["texts"][t] << " " << name;
    EXPECT_LE(want, previous + 1e-6) << e["texts"][t] << ": " << name << " is ranked above a closer image";
    previous = want;
  }
}

constexpr size_t kQueries[] = {1, 2, 3, 4, 5};  // zh, ja, ar, ru, ko

TEST(MultilingualCli, XlmRobertaIndexAnswersQueriesInEveryScript) {
  const nlohmann::json e = testing::read_json(xlmr("a") / "expected.json");
  testing::TempDir tmp;
  const fs::path images = copy_images(tmp, e);
  const std::string db = (tmp.path() / "index.db").string();
  const auto r = testing::run_clipkit({"index", "--no-exif", "--model", xlmr("a").string(), "--db", db, images.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (size_t t : kQueries) expect_search_matches({"search", "--db", db}, e, t);
}

TEST(MultilingualCli, MclipTextModelIsRecordedAndReused) {
  const nlohmann::json e = testing::read_json(xlmr("mclip") / "expected.json");
  testing::TempDir tmp;
  const fs::path images = copy_images(tmp, e);
  const std::string db = (tmp.path() / "index.db").string();
  auto r = testing::run_clipkit({"index", "--no-exif", "--model", tiny_clip_jit().string(), "--text-model",
                                 xlmr("mclip").string(), "--db", db, images.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // No --model: the index's pair (image model + M-CLIP) answers.
  for (size_t t : kQueries) expect_search_matches({"search", "--db", db}, e, t);
  // Given again explicitly, the same.
  expect_search_matches({"search", "--db", db, "--model", tiny_clip_jit().string(), "--text-model",
                         xlmr("mclip").string()},
                        e, 1);
  // The image model alone (its English BPE text tower) is another model for this index.
  r = testing::run_clipkit({"search", "--db", db, "--model", tiny_clip_jit().string(), "--vocab",
                            testing::bpe_vocab().string(), "a cat"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("indexed with another model"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--text-model " + fs::absolute(xlmr("mclip")).lexically_normal().string()), std::string::npos)
      << r.err;
}

TEST(MultilingualCli, MclipClassifyGivesTheReferenceProbabilities) {
  // classify over a subset of the texts: the softmax of the reference's logits over that subset.
  const nlohmann::json e = testing::read_json(xlmr("mclip") / "expected.json");
  const size_t image = 0;  // CLIP.png
  std::vector<std::string> args = {"classify", "--json", "--no-exif", "--model", tiny_clip_jit().string(),
                                   "--text-model", xlmr("mclip").string(), "--image",
                                   (testing::images_dir() / e["images"][image].get<std::string>()).string()};
  std::vector<double> logits;
  for (size_t t : kQueries) {
    args.insert(args.end(), {"--text", e["texts"][t].get<std::string>()});
    logits.push_back(e["logits_per_image"][image][t].get<double>());
  }
  const auto r = testing::run_clipkit(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double max = logits[0], sum = 0;
  for (double l : logits) max = std::max(max, l);
  for (double l : logits) sum += std::exp(l - max);
  const nlohmann::json out = nlohmann::json::parse(r.out);
  ASSERT_EQ(out["texts"].size(), logits.size()) << r.out;
  for (size_t j = 0; j < logits.size(); ++j)
    EXPECT_NEAR(out["texts"][j]["prob"].get<double>(), std::exp(logits[j] - max) / sum, testing::kProbTolerance) << j;
}

TEST(MultilingualCli, InfoShowsThePair) {
  const auto r = testing::run_clipkit({"info", "--json", "--model", tiny_clip_jit().string(), "--text-model",
                                       xlmr("mclip").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["family"], "clip");
  EXPECT_EQ(j["text_model"]["family"], "mclip");
  EXPECT_EQ(j["text"]["context_length"], 512);
  EXPECT_EQ(j["tokenizer"]["conventions"], "xlm_roberta");
  // M-CLIP alone is refused with the way to use it.
  const auto alone = testing::run_clipkit({"info", "--model", xlmr("mclip").string()});
  EXPECT_NE(alone.exit_code, 0);
  EXPECT_NE(alone.err.find("--text-model"), std::string::npos) << alone.err;
}

}  // namespace
}  // namespace clipkit
