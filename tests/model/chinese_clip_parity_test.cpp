// Chinese-CLIP parity with cn_clip's own code (model.py's CLIP, modeling_bert.py's
// BertModel, loaded by cn_clip.clip.load_from_name): both fixture models, from the
// reference's preprocessed tensors and token rows (tests/data/chinese_clip/models, made
// by tests/reference/chinese_clip_models.py). Model a is saved as the released
// checkpoints are ({"state_dict"} with "module." prefixes, fp16 matrices); b is fp32
// without prefixes.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;

fs::path data_dir() { return testing::source_dir() / "tests" / "data" / "chinese_clip"; }

using testing::expect_rows_match;
using testing::flat_tokens;

std::vector<float> pixels_of(const fs::path& dir, const nlohmann::json& e) { return testing::fixture_pixels(dir, e); }

class ChineseClipParity : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path dir() const { return data_dir() / "models" / GetParam(); }
  nlohmann::json expected() const { return testing::read_json(dir() / "expected.json"); }
};

TEST_P(ChineseClipParity, TokensEmbeddingsAndProbabilitiesMatchCnClip) {
  const nlohmann::json e = expected();
  auto model = Model::load(dir() / "clip_cn_test.pt");
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.family, "chinese_clip");
  EXPECT_EQ(info.tokenizer.kind, "wordpiece");
  EXPECT_EQ(model->scoring(), Scoring::softmax);
  EXPECT_EQ(model->image_size(), e["image_size"].get<int>());
  EXPECT_EQ(model->context_length(), 52);
  EXPECT_EQ(model->embed_dim(), e["config"]["embed_dim"].get<int>());
  EXPECT_EQ(model->config().text_width, e["config"]["text_hidden_size"].get<int>());
  EXPECT_EQ(model->config().text_layers, e["config"]["text_num_hidden_layers"].get<int>());
  EXPECT_EQ(model->config().text_heads, e["config"]["text_num_attention_heads"].get<int>());
  EXPECT_EQ(model->config().vocab_size, 2564);
  EXPECT_NEAR(model->logit_scale(), e["logit_scale"].get<double>(), 1e-4);

  // clipkit's WordPiece gives cn_clip.clip.tokenize's rows.
  const Tokenizer wordpiece = Tokenizer::from_wordpiece(data_dir() / "vocab.txt");
  for (size_t i = 0; i < e["texts"].size(); ++i)
    EXPECT_EQ(wordpiece.tokenize(e["texts"][i].get<std::string>(), model->context_length()),
              e["tokens"][i].get<std::vector<int32_t>>())
        << "text " << i;

  const size_t images = e["images"].size(), texts = e["texts"].size();
  const auto image_features = model->encode_images(pixels_of(dir(), e), images);
  expect_rows_match(image_features, e["image_features"], GetParam() + " image features");
  const auto text_features = model->encode_tokens(flat_tokens(e["tokens"]), texts);
  expect_rows_match(text_features, e["text_features"], GetParam() + " text features");

  const size_t dim = model->embed_dim();
  for (size_t i = 0; i < images; ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, *model);
    for (size_t j = 0; j < texts; ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
}

TEST_P(ChineseClipParity, EachRowIsIndependentOfItsBatch) {
  // Rows are cut to their own tokens and packed together: one at a time must agree
  // with the whole batch (and so with the reference) to the last bit of tolerance.
  const nlohmann::json e = expected();
  auto model = Model::load(dir() / "clip_cn_test.pt");
  const std::vector<int32_t> tokens = flat_tokens(e["tokens"]);
  const auto batch = model->encode_tokens(tokens, e["tokens"].size());
  const size_t dim = model->embed_dim();
  for (size_t i = 0; i < e["tokens"].size(); ++i) {
    const auto one = model->encode_tokens(std::span(tokens.data() + i * 52, 52), 1);
    EXPECT_LE(testing::max_abs_diff(one, std::span(batch.data() + i * dim, dim)), 1e-5 * testing::max_abs(one))
        << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ChineseClipParity, ::testing::Values("a", "b"),
                         [](const auto& info) { return info.param; });

TEST(ChineseClip, Bf16KeepsTheDirection) {
  const fs::path dir = data_dir() / "models" / "a";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  ModelOptions options;
  options.precision = Precision::bf16;
  auto model = Model::load(dir / "clip_cn_test.pt", options);
  expect_rows_match(model->encode_tokens(flat_tokens(e["tokens"]), e["tokens"].size()), e["text_features"],
                    "bf16 text features", 0.9995, 1.0);
  expect_rows_match(model->encode_images(pixels_of(dir, e), e["images"].size()), e["image_features"],
                    "bf16 image features", 0.9995, 1.0);
}

TEST(ChineseClip, BadTokenRowsAreRefused) {
  auto model = Model::load(data_dir() / "models" / "b" / "clip_cn_test.pt");
  std::vector<int32_t> row(52, 0);
  row[0] = 101, row[1] = 2564, row[2] = 102;  // 2564: one past the vocabulary
  testing::expect_error([&] { model->encode_tokens(row, 1); }, ErrorCode::invalid_argument,
                        {"token id 2564", "position 1", "vocabulary of 2564"});
  row[0] = 0, row[1] = 138;
  testing::expect_error([&] { model->encode_tokens(row, 1); }, ErrorCode::invalid_argument,
                        {"row 0", "pad id 0", "[CLS]"});
  // A row of pads only is every key masked alike: defined, finite.
  const auto pads = model->encode_tokens(std::vector<int32_t>(52, 0), 1);
  for (float v : pads) EXPECT_TRUE(std::isfinite(v));
}

TEST(ChineseClip, InfoNamesTheChoices) {
  auto model = Model::load(data_dir() / "models" / "a" / "clip_cn_test.pt");
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.architecture, "ViT@BERT");
  EXPECT_EQ(info.format, "torch-state-dict");
  EXPECT_EQ(info.dtype, "f16");
  std::string all;
  for (const auto& [key, value] : info.choices) all += key + ": " + value + "\n";
  for (const char* fragment : {"text heads: 3 (width / 64", "text LayerNorm eps: 1e-12", "[CLS]",
                               "vision activation: quick_gelu"})
    EXPECT_NE(all.find(fragment), std::string::npos) << fragment << " in\n" << all;
}

// The model declares cn_clip's transform (squash, bicubic, torchvision order): clipkit's
// preprocessing of the fixture images gives the reference's tensors.
TEST(ChineseClip, PreprocessIsCnClipsImageTransform) {
  const fs::path dir = data_dir() / "models" / "a";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  auto model = Model::load(dir / "clip_cn_test.pt");
  const PreprocessOptions& p = model->info().preprocess;
  EXPECT_EQ(p.size, 48);
  EXPECT_EQ(p.resize_mode, ResizeMode::squash);
  EXPECT_EQ(p.interpolation, Interpolation::bicubic);
  EXPECT_EQ(p.order, PreprocessOrder::torchvision);
  for (const auto& image : e["images"]) {
    const std::string name = image.get<std::string>();
    DecodeOptions no_exif;
    no_exif.apply_exif_orientation = false;
    const auto got = clip_preprocess(decode_image_file(testing::images_dir() / name, no_exif), p);
    const auto want = testing::read_f32(dir / "pixels" / (name + ".f32"));
    ASSERT_EQ(got.size(), want.size()) << name;
    const double diff = testing::max_abs_diff(got, want);
    EXPECT_LE(diff, 1e-6) << name;  // identical 8-bit pixels, as for CLIP
    std::cout << "  " << name << ": max|Δ| " << diff << "\n";
  }
}

// clipkit::Clip (what the CLI uses) picks the WordPiece tokenizer for a Chinese-CLIP
// checkpoint and gives the reference's text embeddings from the texts themselves.
TEST(ChineseClip, ClipTokenizesWithTheVocabulary) {
  const fs::path dir = data_dir() / "models" / "a";
  const nlohmann::json e = testing::read_json(dir / "expected.json");
  ClipOptions options;
  options.vocab = data_dir() / "vocab.txt";
  const Clip clip = Clip::load(dir / "clip_cn_test.pt", options);
  EXPECT_EQ(clip.tokenizer().sot_id(), 101);
  std::vector<std::string> texts;
  nlohmann::json want = nlohmann::json::array();
  for (size_t i = 0; i < e["texts"].size(); ++i) {
    if (e["texts"][i].get<std::string>().empty()) continue;  // Clip refuses empty texts
    texts.push_back(e["texts"][i].get<std::string>());
    want.push_back(e["text_features"][i]);
  }
  expect_rows_match(clip.embed_texts(texts), want, "Clip text features");

  // The vocabulary must be the model's: a vocab.txt of another size is named.
  testing::TempDir tmp;
  const std::string small = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
  testing::write_bytes(tmp.path() / "vocab.txt", std::vector<uint8_t>(small.begin(), small.end()));
  options.vocab = tmp.path() / "vocab.txt";
  testing::expect_error([&] { Clip::load(dir / "clip_cn_test.pt", options); }, ErrorCode::invalid_argument,
                        {"4 lines", "2564 rows"});
}

}  // namespace
}  // namespace clipkit
