// The CLI on a ResNet CLIP (fixture a, a traced fp16 TorchScript archive like RN50.pt):
// `classify` gives OpenAI's probabilities for the Java SDK's example (CLIP.png against
// "a diagram", "a dog", "a cat"), `info` reports the ResNet's dimensions.
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

fs::path model_dir() { return testing::source_dir() / "tests" / "data" / "resnet" / "models" / "a"; }

TEST(ResnetCli, ClassifyGivesOpenAIsProbabilities) {
  const nlohmann::json e = testing::read_json(model_dir() / "expected.json");
  const auto r = testing::run_clipkit({"classify", "--json", "--no-exif", "--model", (model_dir() / "RN-test.pt").string(),
                                       "--vocab", testing::bpe_vocab().string(), "--image",
                                       (testing::images_dir() / "CLIP.png").string(), "--text", "a diagram", "--text",
                                       "a dog", "--text", "a cat"},
                                      "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dimension"].get<int>(), 48);
  // OpenAI's logits of CLIP.png (image 0) for texts 0–2, softmaxed over those three.
  std::vector<double> want(3);
  double sum = 0;
  for (size_t t = 0; t < 3; ++t) sum += want[t] = std::exp(e["logits_per_image"][0][t].get<double>());
  for (size_t t = 0; t < 3; ++t) {
    EXPECT_EQ(j["texts"][t]["text"], e["texts"][t]);
    EXPECT_NEAR(j["texts"][t]["prob"].get<double>(), want[t] / sum, 1e-4) << e["texts"][t];
  }
  const auto image = j["image_embedding"].get<std::vector<float>>();
  const auto want_image = e["image_features"][0].get<std::vector<float>>();
  const double norm = std::sqrt(std::inner_product(want_image.begin(), want_image.end(), want_image.begin(), 0.0));
  EXPECT_GE(testing::cosine(image, want_image), testing::kMinCosine);
  EXPECT_NEAR(std::sqrt(std::inner_product(image.begin(), image.end(), image.begin(), 0.0)), 1.0, 1e-5)
      << "classify prints the normalized embedding (the reference's norm is " << norm << ")";
}

TEST(ResnetCli, InfoReportsTheResNetsDimensions) {
  const auto r = testing::run_clipkit({"info", "--json", "--model", (model_dir() / "RN-test.pt").string()}, "", 120);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["architecture"], "ResNet");
  EXPECT_EQ(j["family"], "clip");
  EXPECT_EQ(j["dtype"], "f16");
  EXPECT_EQ(j["image_resolution"], 96);
  EXPECT_EQ(j["embed_dim"], 48);
  EXPECT_EQ(j["vision"]["resnet_stages"], nlohmann::json::array({1, 2, 1, 1}));
  EXPECT_EQ(j["vision"]["width"], 8);
  EXPECT_EQ(j["vision"]["heads"], 4);
  EXPECT_EQ(j["vision"]["layers"], 5);
  EXPECT_EQ(j["parameters"], 3564813);

  const auto text = testing::run_clipkit({"info", "--model", (model_dir() / "RN-test.pt").string()}, "", 120);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("vision:        96 px, ResNet stages 1-2-1-1 (5 blocks), width 8, attention pool 256 wide, "
                          "4 heads\n"),
            std::string::npos)
      << text.out;
}

}  // namespace
}  // namespace clipkit
