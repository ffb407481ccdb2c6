// SigLIP through the CLI, end to end: the folder's tokenizer and preprocessing, the
// model, and sigmoid scores — against the reference's numbers (tests/data/siglip,
// made by open_clip v2.24.0 + timm v0.9.16 from the files themselves).
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& model) {
  return testing::source_dir() / "tests" / "data" / "siglip" / "models" / model;
}

struct Case {
  std::string model, format;
  std::vector<size_t> images;  // indices into expected.json's images
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.format; }

class SiglipCli : public ::testing::TestWithParam<Case> {};

// classify --json: the reference's sigmoid scores for the first three texts ("a diagram",
// "a dog", "a cat"), from the image files (the whole pipeline: decode, the folder's
// transform, tokenizer, towers). --no-exif: the reference does not rotate.
TEST_P(SiglipCli, ClassifyGivesTheReferenceSigmoidScores) {
  const Case& c = GetParam();
  const nlohmann::json e = testing::read_json(fixture(c.model) / "expected.json");
  for (size_t i : c.images) {
    const std::string image = e["images"][i].get<std::string>();
    std::vector<std::string> args = {"classify", "--json", "--no-exif", "--model", (fixture(c.model) / c.format).string(),
                                     "--image", (testing::images_dir() / image).string()};
    for (int t = 0; t < 3; ++t) args.insert(args.end(), {"--text", e["texts"][t].get<std::string>()});
    const auto r = testing::run_clipkit(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["scoring"], "sigmoid");
    ASSERT_EQ(j["texts"].size(), 3u);
    for (int t = 0; t < 3; ++t)
      EXPECT_NEAR(j["texts"][t]["prob"].get<double>(), e["probs"][i][t].get<double>(), 1e-4)
          << image << " / " << e["texts"][t];
  }
}

// embed --json gives the reference's token rows for every text (64 ids: pieces, EOS,
// the family's pad), the long one cut with EOS kept last.
TEST_P(SiglipCli, EmbedShowsTheReferenceTokens) {
  const Case& c = GetParam();
  const nlohmann::json e = testing::read_json(fixture(c.model) / "expected.json");
  // The reference rows follow open_clip; an HF SigLIP v1 folder tokenizes as transformers'
  // SiglipTokenizer, which cleans "Chelsea … red_blanket!" differently (tests/text holds
  // its goldens): there only the five plain texts, where the two agree, are compared.
  const size_t compared = c.format == "hf" && e["conventions"] == "siglip" ? 5 : e["texts"].size();
  std::vector<std::string> args = {"embed", "--json", "--model", (fixture(c.model) / c.format).string()};
  for (const auto& t : e["texts"]) args.insert(args.end(), {"--text", t.get<std::string>()});
  const auto r = testing::run_clipkit(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["texts"].size(), e["texts"].size());
  for (size_t t = 0; t < compared; ++t) EXPECT_EQ(j["texts"][t]["tokens"], e["tokens"][t]) << e["texts"][t];
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SiglipCli,
                         ::testing::Values(Case{"a", "open_clip", {0, 1, 2, 3, 4, 5}},
                                           Case{"a", "hf", {1, 2, 3}},  // RGB: the transformers order agrees
                                           Case{"b", "hf", {1, 2, 3}},
                                           Case{"c", "open_clip", {0, 1, 2, 3, 4, 5}},
                                           Case{"d", "open_clip", {0, 3}}, Case{"d", "hf", {3}}),
                         [](const auto& info) { return info.param.model + "_" + info.param.format; });

TEST(SiglipCliReport, PlainClassifySaysTheScoresAreIndependent) {
  const auto r = testing::run_clipkit({"classify", "--model", (fixture("a") / "open_clip").string(), "--image",
                                       (testing::images_dir() / "chelsea.png").string(), "--text", "a cat", "--text",
                                       "a dog"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Label scores (sigmoid, independent per label): ["), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Label probs:"), std::string::npos) << r.out;
}

TEST(SiglipCliReport, InfoNamesTheFamilyAndItsChoices) {
  const auto r = testing::run_clipkit({"info", "--model", (fixture("b") / "hf").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"family:        siglip\n", "scores:        sigmoid per label (independent probabilities)\n",
                           "logit_bias:    -2.75\n", "vision heads:  3 (vision_config.num_attention_heads)\n",
                           "pooling:       image: MAP head (probe attention, token 0); text: last position\n"})
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << "in\n" << r.out;
}

}  // namespace
}  // namespace clipkit

namespace clipkit {
namespace {

// index + search on a SigLIP folder: the cosines `search --json` reports are those of the
// reference's embeddings (open_clip), in the same order.
TEST(SiglipCliSearch, TextSearchRanksByTheReferenceCosines) {
  const nlohmann::json e = testing::read_json(fixture("c") / "expected.json");
  testing::TempDir tmp;
  const fs::path images = tmp.path() / "images";
  fs::create_directories(images);
  const std::vector<size_t> picked = {0, 1, 2, 3};  // CLIP.png chelsea.png astronaut.png rocket.jpg
  for (size_t i : picked) fs::copy_file(testing::images_dir() / e["images"][i].get<std::string>(), images / e["images"][i].get<std::string>());
  const std::string db = (tmp.path() / "index.db").string();
  auto r = testing::run_clipkit({"index", "--no-exif", "--model", (fixture("c") / "open_clip").string(), "--db", db,
                                 images.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string query = e["texts"][2].get<std::string>();  // "a cat"
  r = testing::run_clipkit({"search", "--db", db, "--json", "-k", "4", query});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json results = nlohmann::json::parse(r.out)["results"];
  ASSERT_EQ(results.size(), 4u);
  const auto text = e["text_features"][2].get<std::vector<float>>();
  double previous = 2;
  for (const auto& hit : results) {
    const std::string name = fs::path(hit["path"].get<std::string>()).filename().string();
    size_t i = 0;
    while (e["images"][i] != name) ++i;
    const double want = testing::cosine(e["image_features"][i].get<std::vector<float>>(), text);
    EXPECT_NEAR(hit["score"].get<double>(), want, 1e-4) << name;
    EXPECT_LE(want, previous + 1e-6) << name << " is ranked above a closer image";
    previous = want;
  }
}

}  // namespace
}  // namespace clipkit

namespace clipkit {
namespace {

// preprocess --model writes the tensor the reference fed the model (open_clip's squash,
// bicubic for a, bilinear for c), every element within one 8-bit level.
TEST(SiglipCliPreprocess, ModelTransformGivesTheReferenceTensor) {
  for (const std::string model : {"a", "c"}) {
    const nlohmann::json e = testing::read_json(fixture(model) / "expected.json");
    testing::TempDir tmp;
    for (size_t i = 0; i < e["images"].size(); ++i) {
      const std::string image = e["images"][i].get<std::string>();
      const fs::path npy = tmp.path() / (image + ".npy");
      const auto r = testing::run_clipkit({"preprocess", "--no-exif", "--model", (fixture(model) / "open_clip").string(),
                                           "--image", (testing::images_dir() / image).string(), "--out", npy.string()});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const auto got = testing::read_npy(npy);
      const auto bytes = testing::read_bytes(fixture(model) / "pixels" / (image + ".f32"));
      std::vector<float> want(bytes.size() / 4);
      std::memcpy(want.data(), bytes.data(), bytes.size());
      ASSERT_EQ(got.data.size(), want.size()) << model << " " << image;
      EXPECT_LE(testing::max_abs_diff(got.data, want), 0.02) << model << " " << image;
    }
  }
}

}  // namespace
}  // namespace clipkit
