// Parity with OpenAI's reference: every fixture model × file format × image × text.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::fixtures_dir;

struct Case {
  std::string model;   // tiny_quickgelu / tiny_gelu
  std::string format;  // jit / state_dict / hf / open_clip
};

// Printed in test names and failures as "model/format".
void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.format; }

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  auto manifest = testing::read_json(fixtures_dir() / "manifest.json");
  for (auto& [model, entry] : manifest["models"].items())
    for (auto& [format, file] : entry["files"].items()) cases.push_back({model, format});
  return cases;
}

class ModelParity : public ::testing::TestWithParam<Case> {
 protected:
  fs::path model_dir() const { return fixtures_dir() / "models" / GetParam().model; }
  nlohmann::json expected() const { return testing::read_json(model_dir() / "expected.json"); }
  fs::path model_path() const {
    return model_dir() / expected()["files"][GetParam().format].get<std::string>();
  }
};

std::vector<float> row_of(const nlohmann::json& matrix, size_t i) { return matrix[i].get<std::vector<float>>(); }

// Every row of `got` (names.size() × dim) against the reference rows: cosine and
// max |Δ| relative to max |expected|; prints the worst of each.
void expect_rows_match(const std::vector<float>& got, const nlohmann::json& want_rows,
                       const std::vector<std::string>& names, const char* what) {
  const size_t dim = got.size() / names.size();
  double worst_cos = 1, worst_rel = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    auto want = row_of(want_rows, i);
    std::span<const float> row(got.data() + i * dim, dim);
    const double cos = testing::cosine(row, want);
    const double rel = testing::max_abs_diff(row, want) / testing::max_abs(want);
    worst_cos = std::min(worst_cos, cos);
    worst_rel = std::max(worst_rel, rel);
    EXPECT_GE(cos, testing::kMinCosine) << names[i];
    EXPECT_LE(rel, testing::kMaxAbsRelative) << names[i];
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::printf("[parity] %s %s: worst cosine %.9f, worst |d|/max %.3g\n", info->value_param(), what, worst_cos,
              worst_rel);
}

TEST_P(ModelParity, ImageFeatures) {
  auto exp = expected();
  auto model = Model::load(model_path());
  const auto dims = exp["dims"];
  EXPECT_EQ(model->embed_dim(), dims["embed_dim"].get<int>());
  EXPECT_EQ(model->image_size(), dims["image_resolution"].get<int>());
  EXPECT_EQ(to_string(model->config().activation), exp["activation"].get<std::string>());
  EXPECT_NEAR(model->logit_scale(), exp["logit_scale"].get<double>(), 1e-4);

  const auto images = exp["images"].get<std::vector<std::string>>();
  DecodeOptions decode;
  decode.apply_exif_orientation = false;  // the reference does not apply EXIF
  PreprocessOptions pre;
  pre.size = model->image_size();
  std::vector<float> batch;
  for (const auto& name : images) {
    auto pixels = clip_preprocess(decode_image_file(testing::images_dir() / name, decode), pre);
    batch.insert(batch.end(), pixels.begin(), pixels.end());
  }
  auto features = model->encode_images(batch, images.size());
  expect_rows_match(features, exp["image_features"], images, "images");
}

TEST_P(ModelParity, TextFeaturesAndProbabilities) {
  auto exp = expected();
  auto model = Model::load(model_path());
  auto tokenizer = Tokenizer::from_file(testing::bpe_vocab());
  const auto texts = exp["texts"].get<std::vector<std::string>>();
  std::vector<int32_t> tokens;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto row = tokenizer.tokenize(texts[i]);
    ASSERT_EQ(row, exp["tokens"][i].get<std::vector<int32_t>>()) << texts[i];
    tokens.insert(tokens.end(), row.begin(), row.end());
  }
  auto features = model->encode_tokens(tokens, texts.size());
  expect_rows_match(features, exp["text_features"], texts, "texts");

  // Probabilities from the expected image features against our text features.
  double worst_prob = 0;
  for (size_t i = 0; i < exp["images"].size(); ++i) {
    auto image = row_of(exp["image_features"], i);
    auto probs = label_probs(image, features, model->logit_scale());
    auto want = exp["probs"][i].get<std::vector<float>>();
    ASSERT_EQ(probs.size(), want.size());
    for (size_t t = 0; t < probs.size(); ++t) {
      worst_prob = std::max(worst_prob, std::fabs(double(probs[t]) - want[t]));
      EXPECT_NEAR(probs[t], want[t], testing::kProbTolerance) << "image " << i << " text " << t;
    }
  }
  std::printf("[parity] %s/%s probs: worst |d| %.3g\n", GetParam().model.c_str(), GetParam().format.c_str(),
              worst_prob);
}

TEST_P(ModelParity, EndToEndProbabilities) {
  // The whole pipeline (decode → preprocess → both towers → softmax) against `probs`.
  auto exp = expected();
  ClipOptions options;
  options.vocab = testing::bpe_vocab();
  options.decode.apply_exif_orientation = false;
  auto clip = Clip::load(model_path(), options);
  const auto texts = exp["texts"].get<std::vector<std::string>>();
  auto text_features = clip.embed_texts(texts);
  const auto images = exp["images"].get<std::vector<std::string>>();
  for (size_t i = 0; i < images.size(); ++i) {
    auto image = clip.embed_image_file(testing::images_dir() / images[i]);
    auto probs = label_probs(image, text_features, clip.model().logit_scale());
    auto want = exp["probs"][i].get<std::vector<float>>();
    for (size_t t = 0; t < probs.size(); ++t)
      EXPECT_NEAR(probs[t], want[t], testing::kProbTolerance) << images[i] << " / " << texts[t];
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return info.param.model + "_" + info.param.format; }

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelParity, ::testing::ValuesIn(all_cases()), case_name);

TEST(ModelLoad, ActivationOverride) {
  auto path = fixtures_dir() / "models" / "tiny_gelu" / "hf";
  ModelOptions options;
  options.activation = Activation::quick_gelu;
  auto model = Model::load(path, options);
  EXPECT_EQ(model->config().activation, Activation::quick_gelu);
  // With the wrong activation the embedding must move away from the reference.
  auto exp = testing::read_json(fixtures_dir() / "models" / "tiny_gelu" / "expected.json");
  auto features = model->encode_tokens(exp["tokens"][0].get<std::vector<int32_t>>(), 1);
  EXPECT_LT(testing::cosine(features, exp["text_features"][0].get<std::vector<float>>()), 0.99999);
}

TEST(ModelLoad, InfersDimensionsLikeBuildModel) {
  auto model = Model::load(fixtures_dir() / "models" / "tiny_quickgelu" / "model.jit.pt");
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.vision_width, 128);
  EXPECT_EQ(c.vision_heads, 2);
  EXPECT_EQ(c.vision_patch_size, 16);
  EXPECT_EQ(c.vision_layers, 2);
  EXPECT_EQ(c.text_width, 64);
  EXPECT_EQ(c.text_heads, 1);
  EXPECT_EQ(c.text_layers, 2);
  EXPECT_EQ(c.context_length, 77);
  EXPECT_EQ(c.vocab_size, 49408);
  EXPECT_EQ(model->info().format, "openai-torchscript");
  EXPECT_EQ(model->info().dtype, "f16");
}

}  // namespace
}  // namespace clipkit
