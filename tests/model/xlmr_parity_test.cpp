// XLM-RoBERTa text towers against their references (tests/data/xlmr/models, made by
// tests/reference/xlmr_models.py with open_clip v2.24.0's ViT, image_transform and
// MeanPooler, and cn_clip's BertModel run as XLMRobertaModel with RoBERTa's position
// ids): open_clip's xlm-roberta CLIPs (a: mlp projection, safetensors with fp16
// matrices; b: linear projection, torch .bin) and M-CLIP (a text tower only, paired
// with the shared tiny_quickgelu OpenAI CLIP as its image model).
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::expect_rows_match;
using testing::flat_tokens;

fs::path models_dir() { return testing::source_dir() / "tests" / "data" / "xlmr" / "models"; }

class XlmrClipParity : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return models_dir() / GetParam(); }
};

TEST_P(XlmrClipParity, TokensEmbeddingsAndProbabilitiesMatchOpenClip) {
  const nlohmann::json e = testing::read_json(dir() / "expected.json");
  const Clip clip = Clip::load(dir());
  const Model& model = clip.model();
  const ModelInfo& info = model.info();
  EXPECT_EQ(info.family, "xlmr_clip");
  EXPECT_EQ(info.tokenizer.kind, "sentencepiece");
  EXPECT_EQ(model.scoring(), Scoring::softmax);
  EXPECT_EQ(model.image_size(), e["image_size"].get<int>());
  EXPECT_EQ(model.context_length(), 77);
  EXPECT_EQ(model.embed_dim(), e["config"]["model_cfg"]["embed_dim"].get<int>());
  EXPECT_EQ(model.config().text_width, e["config"]["text"]["hidden_size"].get<int>());
  EXPECT_EQ(model.config().text_layers, e["config"]["text"]["num_hidden_layers"].get<int>());
  EXPECT_EQ(model.config().text_heads, e["config"]["text"]["num_attention_heads"].get<int>());
  EXPECT_EQ(model.config().vocab_size, 1002);
  EXPECT_NEAR(model.logit_scale(), e["logit_scale"].get<double>(), 1e-4);

  // The folder's tokenizer gives open_clip's HFTokenizer rows (<s> … </s>, pad 1, cut at 77).
  const std::vector<std::string> texts = e["texts"].get<std::vector<std::string>>();
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(clip.tokenizer().tokenize(texts[i], 77), e["tokens"][i].get<std::vector<int32_t>>()) << "text " << i;

  const size_t images = e["images"].size();
  const auto image_features = model.encode_images(testing::fixture_pixels(dir(), e), images);
  expect_rows_match(image_features, e["image_features"], GetParam() + " image features");
  const auto text_features = model.encode_tokens(flat_tokens(e["tokens"]), texts.size());
  expect_rows_match(text_features, e["text_features"], GetParam() + " text features");

  // The decoded images through clipkit's own preprocessing land on the same features.
  for (size_t i = 0; i < images; ++i) {
    const auto one = clip.embed_image_file(testing::images_dir() / e["images"][i].get<std::string>());
    EXPECT_GE(testing::cosine(one, e["image_features"][i].get<std::vector<float>>()), testing::kMinCosine)
        << e["images"][i];
  }
  const size_t dim = model.embed_dim();
  for (size_t i = 0; i < images; ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, model);
    for (size_t j = 0; j < texts.size(); ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
}

TEST_P(XlmrClipParity, EachRowIsIndependentOfItsBatch) {
  const nlohmann::json e = testing::read_json(dir() / "expected.json");
  auto model = Model::load(dir());
  const std::vector<int32_t> tokens = flat_tokens(e["tokens"]);
  const auto batch = model->encode_tokens(tokens, e["tokens"].size());
  const size_t dim = model->embed_dim();
  for (size_t i = 0; i < e["tokens"].size(); ++i) {
    const auto one = model->encode_tokens(std::span(tokens.data() + i * 77, 77), 1);
    EXPECT_LE(testing::max_abs_diff(one, std::span(batch.data() + i * dim, dim)), 1e-5 * testing::max_abs(one))
        << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, XlmrClipParity, ::testing::Values("a", "b"),
                         [](const auto& info) { return info.param; });

fs::path tiny_clip() { return testing::fixtures_dir() / "models" / "tiny_quickgelu"; }

ClipOptions mclip_options() {
  ClipOptions options;
  options.model.text_model = models_dir() / "mclip";
  return options;
}

TEST(Mclip, PairedWithItsImageModelMatchesTheReference) {
  const nlohmann::json e = testing::read_json(models_dir() / "mclip" / "expected.json");
  const Clip clip = Clip::load(tiny_clip() / "model.jit.pt", mclip_options());
  const Model& model = clip.model();
  const ModelInfo& info = model.info();
  EXPECT_EQ(info.family, "clip");  // the image model's
  EXPECT_EQ(info.text_family, "mclip");
  EXPECT_EQ(info.text_model_path, models_dir() / "mclip");
  EXPECT_EQ(info.tokenizer.kind, "sentencepiece");
  EXPECT_EQ(model.context_length(), 512);  // every position of the 514: M-CLIP does not truncate
  EXPECT_EQ(model.config().text_width, 192);
  EXPECT_EQ(model.embed_dim(), 32);
  EXPECT_NEAR(model.logit_scale(), e["logit_scale"].get<double>(), 1e-3);

  // M-CLIP's tokenizer call (no clean-up, no truncation): the reference's rows,
  // padded with 1 to clipkit's 512.
  const std::vector<std::string> texts = e["texts"].get<std::vector<std::string>>();
  std::vector<int32_t> rows;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int32_t> want = e["tokens"][i].get<std::vector<int32_t>>();
    want.resize(512, 1);
    const std::vector<int32_t> got = clip.tokenizer().tokenize(texts[i], 512);
    EXPECT_EQ(testing::first_difference(want, got), "") << "text " << i;
    rows.insert(rows.end(), want.begin(), want.end());
  }
  const auto text_features = model.encode_tokens(rows, texts.size());
  expect_rows_match(text_features, e["text_features"], "M-CLIP text features");

  // Images go through the image model: the shared fixture's features, and the scores
  // of M-CLIP's texts against them.
  std::vector<float> image_features;
  for (const auto& image : e["images"]) {
    const auto one = clip.embed_image_file(testing::images_dir() / image.get<std::string>());
    image_features.insert(image_features.end(), one.begin(), one.end());
  }
  expect_rows_match(image_features, e["image_features"], "paired image features");
  const size_t dim = model.embed_dim();
  for (size_t i = 0; i < e["images"].size(); ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, model);
    for (size_t j = 0; j < texts.size(); ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
}

TEST(Mclip, LabseTowerPairedWithItsImageModelMatchesTheReference) {
  // M-CLIP/LABSE-Vit-L-14's layout: a BertModel (eps 1e-12, positions from 0, pad 0) and
  // a cased WordPiece vocab.txt (tokenizer_config.json: do_lower_case false).
  const fs::path dir = models_dir() / "mclip_labse";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  ClipOptions options;
  options.model.text_model = dir;
  const Clip clip = Clip::load(tiny_clip() / "model.jit.pt", options);
  const Model& model = clip.model();
  EXPECT_EQ(model.info().text_family, "mclip");
  EXPECT_EQ(model.info().tokenizer.kind, "wordpiece");
  EXPECT_FALSE(model.info().tokenizer.lower_case);
  EXPECT_EQ(model.context_length(), 512);
  const std::vector<std::string> texts = e["texts"].get<std::vector<std::string>>();
  std::vector<int32_t> rows;
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int32_t> want = e["tokens"][i].get<std::vector<int32_t>>();
    want.resize(512, 0);
    EXPECT_EQ(testing::first_difference(want, clip.tokenizer().tokenize(texts[i], 512)), "") << "text " << i;
    rows.insert(rows.end(), want.begin(), want.end());
  }
  const auto text_features = model.encode_tokens(rows, texts.size());
  expect_rows_match(text_features, e["text_features"], "M-CLIP LaBSE text features");
  // "Paris in SPRING" and "paris in spring" are different texts to a cased tower.
  const size_t dim = model.embed_dim();
  EXPECT_LT(testing::cosine(std::span(text_features.data() + 11 * dim, dim),
                            std::span(text_features.data() + 12 * dim, dim)), 0.9999);
  std::vector<float> image_features;
  for (const auto& image : e["images"]) {
    const auto one = clip.embed_image_file(testing::images_dir() / image.get<std::string>());
    image_features.insert(image_features.end(), one.begin(), one.end());
  }
  for (size_t i = 0; i < e["images"].size(); ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, model);
    for (size_t j = 0; j < texts.size(); ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
}

TEST(Mclip, AloneItIsRefusedAsATextTowerOnly) {
  testing::expect_error([] { Model::load(models_dir() / "mclip"); }, ErrorCode::unsupported,
                        {"mclip", "text tower only", "--text-model"});
}

TEST(Mclip, EmbeddingSizesMustAgree) {
  // xlmr fixture a makes 40-d vectors; M-CLIP's are 32-d.
  ModelOptions options;
  options.text_model = models_dir() / "mclip";
  testing::expect_error([&] { Model::load(models_dir() / "a", options); }, ErrorCode::invalid_argument,
                        {"32 dimensions", "40", "image model"});
}

TEST(Mclip, TooManyTokensAreRefusedNotWrapped) {
  ModelOptions options;
  options.text_model = models_dir() / "mclip";
  auto model = Model::load(tiny_clip() / "model.jit.pt", options);
  std::vector<int32_t> row(512, 7);  // 512 real tokens fit the 514 positions (from 2)
  EXPECT_EQ(model->encode_tokens(row, 1).size(), 32u);
  std::vector<int32_t> pads(512, 1);
  testing::expect_error([&] { model->encode_tokens(pads, 1); }, ErrorCode::invalid_argument,
                        {"row 0", "only pad ids"});
  std::vector<int32_t> bad(512, 1);
  bad[0] = 1002;
  testing::expect_error([&] { model->encode_tokens(bad, 1); }, ErrorCode::invalid_argument,
                        {"token id 1002", "outside the vocabulary of 1002"});
}

}  // namespace
}  // namespace clipkit
