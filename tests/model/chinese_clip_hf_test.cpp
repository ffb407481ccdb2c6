// Hugging Face ChineseCLIPModel folders (OFA-Sys/chinese-clip-*): fixture a's cn_clip
// weights converted as transformers' convert_chinese_clip_original_pytorch_to_hf.py does
// (tests/data/chinese_clip/models/a_hf, made by tests/reference/chinese_clip_hf.py). The
// weights are a's, so the reference features are a/expected.json (cn_clip's); the
// folder's pixels/*.f32 are what ChineseCLIPImageProcessor makes of the images.
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

fs::path models_dir() { return testing::source_dir() / "tests" / "data" / "chinese_clip" / "models"; }
fs::path hf_dir() { return models_dir() / "a_hf"; }
nlohmann::json expected() { return testing::read_json(models_dir() / "a" / "expected.json"); }

TEST(ChineseClipHf, FeaturesAndProbabilitiesMatchCnClip) {
  const nlohmann::json e = expected();
  auto model = Model::load(hf_dir());
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.family, "chinese_clip");
  EXPECT_EQ(info.format, "hf-safetensors");
  EXPECT_EQ(info.dtype, "f16");
  EXPECT_EQ(model->scoring(), Scoring::softmax);
  EXPECT_EQ(model->image_size(), 48);
  EXPECT_EQ(model->context_length(), 52);
  EXPECT_EQ(model->embed_dim(), e["config"]["embed_dim"].get<int>());
  EXPECT_EQ(model->config().vision_heads, 2);  // vision_config.num_attention_heads
  EXPECT_EQ(model->config().text_heads, 3);    // text_config.num_attention_heads
  EXPECT_EQ(model->config().text_layers, 3);
  EXPECT_EQ(model->config().vocab_size, 2564);
  EXPECT_NEAR(model->logit_scale(), e["logit_scale"].get<double>(), 1e-4);

  const size_t images = e["images"].size(), texts = e["texts"].size();
  const auto image_features = model->encode_images(testing::fixture_pixels(models_dir() / "a", e), images);
  const auto [image_cos, image_rel] = testing::expect_rows_match(image_features, e["image_features"], "a_hf image");
  const auto text_features = model->encode_tokens(testing::flat_tokens(e["tokens"]), texts);
  const auto [text_cos, text_rel] = testing::expect_rows_match(text_features, e["text_features"], "a_hf text");
  std::cout << "  worst cosine " << std::min(image_cos, text_cos) << ", max|Δ|/max " << std::max(image_rel, text_rel)
            << "\n";
  const size_t dim = model->embed_dim();
  for (size_t i = 0; i < images; ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, *model);
    for (size_t j = 0; j < texts; ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
}

// The folder's vocab.txt is the tokenizer: cn_clip.clip.tokenize's rows, and Clip (no
// --vocab) embeds the texts themselves as the reference does.
TEST(ChineseClipHf, TokenizesWithTheFoldersVocabulary) {
  const nlohmann::json e = expected();
  auto model = Model::load(hf_dir());
  EXPECT_EQ(model->info().tokenizer.kind, "wordpiece");
  EXPECT_EQ(model->info().tokenizer.file, hf_dir() / "vocab.txt");
  const Tokenizer wordpiece = Tokenizer::from_wordpiece(model->info().tokenizer.file);
  for (size_t i = 0; i < e["texts"].size(); ++i)
    EXPECT_EQ(wordpiece.tokenize(e["texts"][i].get<std::string>(), 52), e["tokens"][i].get<std::vector<int32_t>>())
        << "text " << i;

  const Clip clip = Clip::load(hf_dir());
  EXPECT_EQ(clip.tokenizer().sot_id(), 101);
  std::vector<std::string> texts;
  nlohmann::json want = nlohmann::json::array();
  for (size_t i = 0; i < e["texts"].size(); ++i) {
    if (e["texts"][i].get<std::string>().empty()) continue;  // Clip refuses empty texts
    texts.push_back(e["texts"][i].get<std::string>());
    want.push_back(e["text_features"][i]);
  }
  testing::expect_rows_match(clip.embed_texts(texts), want, "a_hf Clip text features");
}

// preprocessor_config.json (ChineseCLIPFeatureExtractor, size {"height": 48, "width": 48},
// no crop) gives ChineseCLIPImageProcessor's transform: the squash of cn_clip, after the
// conversion to RGB (cn_clip resizes first: palette and RGBA images differ), in
// transformers' float order. clipkit's pixels are the generator's mirror of it.
TEST(ChineseClipHf, PreprocessIsChineseClipImageProcessor) {
  const nlohmann::json e = expected();
  auto model = Model::load(hf_dir());
  const PreprocessOptions& p = model->info().preprocess;
  EXPECT_EQ(p.size, 48);
  EXPECT_EQ(p.resize_mode, ResizeMode::squash);
  EXPECT_EQ(p.interpolation, Interpolation::bicubic);
  EXPECT_EQ(p.order, PreprocessOrder::transformers);
  EXPECT_FLOAT_EQ(p.mean[0], 0.48145466f);
  EXPECT_FLOAT_EQ(p.std[2], 0.27577711f);
  EXPECT_DOUBLE_EQ(p.rescale_factor, 1.0 / 255.0);
  for (const auto& image : e["images"]) {
    const std::string name = image.get<std::string>();
    DecodeOptions no_exif;
    no_exif.apply_exif_orientation = false;
    const auto got = clip_preprocess(decode_image_file(testing::images_dir() / name, no_exif), p);
    const auto want = testing::read_f32(hf_dir() / "pixels" / (name + ".f32"));
    ASSERT_EQ(got.size(), want.size()) << name;
    EXPECT_LE(testing::max_abs_diff(got, want), 1e-6) << name;
  }
}

// A copy of the folder whose model.safetensors header is edited (same data): the
// errors name the file and the tensor.
class ChineseClipHfBroken : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"config.json", "preprocessor_config.json", "vocab.txt"})
      fs::copy_file(hf_dir() / name, tmp_.path() / name);
    bytes_ = testing::read_bytes(hf_dir() / "model.safetensors");
    uint64_t n = 0;
    std::memcpy(&n, bytes_.data(), 8);
    header_ = nlohmann::json::parse(std::string(bytes_.begin() + 8, bytes_.begin() + 8 + static_cast<long>(n)));
    data_.assign(bytes_.begin() + 8 + static_cast<long>(n), bytes_.end());
  }
  // Writes the edited header (padded to 8 bytes) over the same data.
  fs::path write() {
    std::string text = header_.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    std::vector<uint8_t> out(8);
    const uint64_t n = text.size();
    std::memcpy(out.data(), &n, 8);
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), data_.begin(), data_.end());
    testing::write_bytes(tmp_.path() / "model.safetensors", out);
    return tmp_.path() / "model.safetensors";
  }
  testing::TempDir tmp_;
  std::vector<uint8_t> bytes_, data_;
  nlohmann::json header_;
};

TEST_F(ChineseClipHfBroken, UneditedCopyLoads) {
  write();
  EXPECT_EQ(Model::load(tmp_.path())->info().family, "chinese_clip");
}

TEST_F(ChineseClipHfBroken, MissingTextProjectionIsNamed) {
  header_["text_projection.weight_"] = header_["text_projection.weight"];
  header_.erase("text_projection.weight");
  const fs::path file = write();
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::not_found,
                        {file.string(), "missing tensor 'text_projection.weight'"});
}

TEST_F(ChineseClipHfBroken, WrongProjectionShapeIsNamed) {
  header_["text_projection.weight"]["shape"] = {40 * 192};
  const fs::path file = write();
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::corrupt_data,
                        {file.string(), "'text_projection.weight'", "[7680]"});
}

TEST_F(ChineseClipHfBroken, WrongBertShapeIsNamed) {
  // The model layer names the folder and the tensor under cn_clip's name (text_model. -> bert.).
  header_["text_model.encoder.layer.1.intermediate.dense.bias"]["shape"] = {2, 100};
  write();
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::corrupt_data,
                        {tmp_.path().string(), "encoder.layer.1.intermediate.dense.bias", "[2, 100]", "expected [200]"});
}

TEST_F(ChineseClipHfBroken, ConfigMustDescribeTheWeights) {
  write();
  nlohmann::json config = testing::read_json(tmp_.path() / "config.json");
  config["text_config"]["num_hidden_layers"] = 4;
  const std::string text = config.dump();
  testing::write_bytes(tmp_.path() / "config.json", std::vector<uint8_t>(text.begin(), text.end()));
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::corrupt_data,
                        {"config.json", "text_config.num_hidden_layers", "is 4", "weights have 3"});

  config["text_config"]["num_hidden_layers"] = 3;
  config["text_config"]["num_attention_heads"] = 5;  // 192 is not divisible by 5
  const std::string heads = config.dump();
  testing::write_bytes(tmp_.path() / "config.json", std::vector<uint8_t>(heads.begin(), heads.end()));
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::corrupt_data,
                        {"text width 192", "5 attention heads"});
}

TEST_F(ChineseClipHfBroken, PreprocessorSizeWithoutHeightAndWidthIsRefused) {
  write();
  nlohmann::json pre = testing::read_json(tmp_.path() / "preprocessor_config.json");
  pre["size"] = {{"shortest_edge", 48}};
  const std::string text = pre.dump();
  testing::write_bytes(tmp_.path() / "preprocessor_config.json", std::vector<uint8_t>(text.begin(), text.end()));
  testing::expect_error([&] { Model::load(tmp_.path()); }, ErrorCode::corrupt_data,
                        {"preprocessor_config.json", "shortest_edge", "height"});
}

}  // namespace
}  // namespace clipkit
