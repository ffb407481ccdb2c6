// SigLIP parity with the reference code (open_clip v2.24.0 + timm v0.9.16, and the
// same modules set up as transformers' modeling_siglip for the tanh model): every
// fixture model × file format, from the reference's own preprocessed tensors and
// token rows (tests/data/siglip/models, made by tests/reference/siglip_models.py).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string model;   // a / b / c (see the generator's docstring)
  std::string format;  // open_clip / hf
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.model << "/" << c.format; }

fs::path siglip_dir() { return testing::source_dir() / "tests" / "data" / "siglip" / "models"; }

std::vector<float> read_f32(const fs::path& path) {
  std::vector<uint8_t> bytes = testing::read_bytes(path);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

class SiglipParity : public ::testing::TestWithParam<Case> {
 protected:
  fs::path dir() const { return siglip_dir() / GetParam().model; }
  nlohmann::json expected() const { return testing::read_json(dir() / "expected.json"); }
};

void expect_rows_match(const std::vector<float>& got, const nlohmann::json& want_rows, const char* what) {
  const size_t n = want_rows.size(), dim = got.size() / n;
  ASSERT_EQ(got.size(), n * want_rows[0].size()) << what;
  double worst_cos = 1, worst_rel = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto want = want_rows[i].get<std::vector<float>>();
    std::span<const float> row(got.data() + i * dim, dim);
    const double cos = testing::cosine(row, want);
    const double rel = testing::max_abs_diff(row, want) / testing::max_abs(want);
    worst_cos = std::min(worst_cos, cos);
    worst_rel = std::max(worst_rel, rel);
    EXPECT_GE(cos, testing::kMinCosine) << what << " row " << i;
    EXPECT_LE(rel, testing::kMaxAbsRelative) << what << " row " << i;
  }
  std::cout << "  " << what << ": worst cosine " << worst_cos << ", worst max|Δ|/max " << worst_rel << "\n";
}

TEST_P(SiglipParity, EmbeddingsAndSigmoidScoresMatchTheReference) {
  const nlohmann::json e = expected();
  auto model = Model::load(dir() / GetParam().format);
  EXPECT_EQ(model->info().family, "siglip");
  EXPECT_EQ(model->scoring(), Scoring::sigmoid);
  EXPECT_EQ(model->image_size(), e["image_size"].get<int>());
  EXPECT_EQ(model->context_length(), 64);
  EXPECT_NEAR(model->logit_scale(), e["logit_scale"].get<double>(), 1e-4);
  EXPECT_NEAR(model->logit_bias(), e["logit_bias"].get<double>(), 1e-6);

  std::vector<float> pixels;
  for (const auto& image : e["images"]) {
    auto one = read_f32(dir() / "pixels" / (image.get<std::string>() + ".f32"));
    pixels.insert(pixels.end(), one.begin(), one.end());
  }
  const size_t images = e["images"].size(), texts = e["texts"].size();
  const auto image_features = model->encode_images(pixels, images);
  expect_rows_match(image_features, e["image_features"], "image features");

  std::vector<int32_t> tokens;
  for (const auto& row : e["tokens"])
    for (const auto& id : row) tokens.push_back(id.get<int32_t>());
  const auto text_features = model->encode_tokens(tokens, texts);
  expect_rows_match(text_features, e["text_features"], "text features");

  const size_t dim = model->embed_dim();
  for (size_t i = 0; i < images; ++i) {
    const auto scores = label_scores(std::span(image_features.data() + i * dim, dim), text_features, *model);
    for (size_t j = 0; j < texts; ++j)
      EXPECT_NEAR(scores[j], e["probs"][i][j].get<double>(), 1e-4) << "image " << i << " text " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SiglipParity,
                         ::testing::Values(Case{"a", "open_clip"}, Case{"a", "hf"}, Case{"b", "hf"},
                                           Case{"c", "open_clip"}, Case{"d", "open_clip"}, Case{"d", "hf"}),
                         [](const auto& info) { return info.param.model + "_" + info.param.format; });

}  // namespace
}  // namespace clipkit

namespace clipkit {
namespace {

// bf16 / int8 compute keeps the README's promises on SigLIP too (the blocks run in the
// lower precision; patch embedding, MAP head and text head stay fp32).
TEST(SiglipPrecision, Bf16AndInt8StayCloseToTheReference) {
  const fs::path dir = siglip_dir() / "a";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  std::vector<float> pixels;
  for (const auto& image : e["images"]) {
    auto one = read_f32(dir / "pixels" / (image.get<std::string>() + ".f32"));
    pixels.insert(pixels.end(), one.begin(), one.end());
  }
  std::vector<int32_t> tokens;
  for (const auto& row : e["tokens"])
    for (const auto& id : row) tokens.push_back(id.get<int32_t>());
  for (auto [precision, min_cos] : {std::pair{Precision::bf16, 0.9995}, std::pair{Precision::int8, 0.995}}) {
    ModelOptions options;
    options.precision = precision;
    auto model = Model::load(dir / "open_clip", options);
    const auto images = model->encode_images(pixels, e["images"].size());
    const auto texts = model->encode_tokens(tokens, e["texts"].size());
    const size_t dim = model->embed_dim();
    double worst = 1;
    for (size_t i = 0; i < e["images"].size(); ++i)
      worst = std::min(worst, testing::cosine(std::span(images.data() + i * dim, dim),
                                              e["image_features"][i].get<std::vector<float>>()));
    for (size_t i = 0; i < e["texts"].size(); ++i)
      worst = std::min(worst, testing::cosine(std::span(texts.data() + i * dim, dim),
                                              e["text_features"][i].get<std::vector<float>>()));
    EXPECT_GE(worst, min_cos) << to_string(precision);
    std::cout << "  " << to_string(precision) << ": worst cosine to the reference " << worst << "\n";
  }
}

}  // namespace
}  // namespace clipkit
