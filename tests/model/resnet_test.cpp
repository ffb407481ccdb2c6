// OpenAI's ResNet CLIPs against OpenAI's own code (tests/data/resnet/models, made by
// tests/reference/resnet_models.py with clip/model.py's CLIP built with a tuple of layer
// counts): a (stages 1-2-1-1, width 8, 96 px) as a traced fp16 TorchScript archive like
// RN50.pt; b (2-1-1-2, width 10, 64 px) as a state dict and as an open_clip folder. Both
// the folded fast path and the unfolded reference path (BatchNorm as its own step, the
// scalar kernels) must land on the reference's features.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "io/checkpoint.hpp"
#include "model/resnet/resnet.hpp"
#include "model/weights.hpp"
#include "support/load_cases.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::expect_rows_match;
using testing::flat_tokens;
using testing::LoadCase;
using testing::Tensors;
using testing::zeros;

fs::path models_dir() { return testing::source_dir() / "tests" / "data" / "resnet" / "models"; }

struct Format {
  std::string name;   // test name
  std::string model;  // fixture folder (expected.json, pixels/)
  std::string path;   // what is loaded, under models_dir()
  std::string format;
  std::string dtype;
};

void PrintTo(const Format& f, std::ostream* os) { *os << f.name; }

ClipOptions clip_options() {
  ClipOptions options;
  options.vocab = testing::bpe_vocab();
  return options;
}

class ResnetParity : public ::testing::TestWithParam<Format> {
 protected:
  fs::path dir() const { return models_dir() / GetParam().model; }
  fs::path path() const { return models_dir() / GetParam().path; }
};

TEST_P(ResnetParity, ConfigFeaturesAndProbabilitiesMatchOpenAI) {
  const nlohmann::json e = testing::read_json(dir() / "expected.json");
  const nlohmann::json& cfg = e["config"];
  const auto loaded = Model::load(path());
  const Model& model = *loaded;
  const ModelInfo& info = model.info();
  EXPECT_EQ(info.family, "clip");
  EXPECT_EQ(info.format, GetParam().format);
  EXPECT_EQ(info.dtype, GetParam().dtype);
  EXPECT_EQ(info.architecture, "ResNet");
  const ModelConfig& c = model.config();
  EXPECT_EQ(c.vision_stages, cfg["vision_layers"].get<std::vector<int>>());
  EXPECT_EQ(c.vision_width, cfg["vision_width"].get<int>());
  EXPECT_EQ(c.vision_heads, cfg["vision_heads"].get<int>());
  EXPECT_EQ(c.vision_patch_size, 0);
  EXPECT_EQ(model.image_size(), cfg["image_resolution"].get<int>());
  EXPECT_EQ(model.embed_dim(), cfg["embed_dim"].get<int>());
  EXPECT_EQ(c.vocab_size, cfg["vocab_size"].get<int>());
  EXPECT_EQ(c.text_layers, cfg["transformer_layers"].get<int>());
  EXPECT_EQ(c.activation, Activation::quick_gelu);
  EXPECT_NEAR(model.logit_scale(), e["logit_scale"].get<double>(), 1e-4);

  const size_t images = e["images"].size(), texts = e["tokens"].size();
  const auto image_features = model.encode_images(testing::fixture_pixels(dir(), e), images);
  expect_rows_match(image_features, e["image_features"], GetParam().name + " image features");
  const auto text_features = model.encode_tokens(flat_tokens(e["tokens"]), texts);
  expect_rows_match(text_features, e["text_features"], GetParam().name + " text features");
  const size_t dim = model.embed_dim();
  for (size_t i = 0; i < images; ++i) {
    const auto probs = label_scores(std::span(image_features.data() + i * dim, dim), text_features, model);
    for (size_t j = 0; j < texts; ++j)
      EXPECT_NEAR(probs[j], e["probs"][i][j].get<double>(), testing::kProbTolerance) << "image " << i << " text " << j;
  }
  // The image files through clipkit's own decoding and the transform the model declares.
  for (size_t i = 0; i < images; ++i) {
    const Image image = decode_image_file(testing::images_dir() / e["images"][i].get<std::string>());
    const auto one = model.encode_images(clip_preprocess(image, info.preprocess), 1);
    EXPECT_GE(testing::cosine(one, e["image_features"][i].get<std::vector<float>>()), testing::kMinCosine)
        << e["images"][i];
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ResnetParity,
    ::testing::Values(Format{"a_torchscript", "a", "a/RN-test.pt", "openai-torchscript", "f16"},
                      Format{"b_state_dict", "b", "b/state_dict.pt", "torch-state-dict", "f32"},
                      Format{"b_open_clip", "b", "b/open_clip", "open_clip-torch", "f32"}),
    [](const auto& info) { return info.param.name; });

TEST(Resnet, TextsTokenizeToOpenAIsRows) {
  const nlohmann::json e = testing::read_json(models_dir() / "a" / "expected.json");
  const Clip clip = Clip::load(models_dir() / "a" / "RN-test.pt", clip_options());
  const auto texts = e["texts"].get<std::vector<std::string>>();
  for (size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ(clip.tokenizer().tokenize(texts[i], 77), e["tokens"][i].get<std::vector<int32_t>>()) << texts[i];
}

// The unfolded twin: each BatchNorm its own step after its convolution, every loop
// scalar — the folded oneDNN path is held to it, and it to OpenAI's features.
TEST(Resnet, UnfoldedReferencePathMatchesOpenAIAndTheFoldedPath) {
  for (const std::string m : {"a", "b"}) {
    const nlohmann::json e = testing::read_json(models_dir() / m / "expected.json");
    io::Checkpoint ckpt = io::load_checkpoint(models_dir() / m / (m == "a" ? "RN-test.pt" : "state_dict.pt"));
    ModelConfig c;
    model::resnet::infer_resnet_config(ckpt, c);
    model::infer_text_config(ckpt, c);
    const model::resnet::Params params = model::resnet::take_params(ckpt, c);
    const size_t images = e["images"].size();
    const std::vector<float> pixels = testing::fixture_pixels(models_dir() / m, e);
    const auto reference = model::resnet::encode_images_reference(c, params, pixels.data(), images);
    expect_rows_match(reference, e["image_features"], m + " reference path");

    size_t bytes = 0;
    const model::resnet::Tower tower = model::resnet::fold(params, c, kernels::Precision::fp32, bytes);
    EXPECT_GT(bytes, 0u);
    const auto folded = model::resnet::encode_images(c, tower, pixels.data(), images);
    nlohmann::json reference_rows = nlohmann::json::array();
    for (size_t i = 0; i < images; ++i)
      reference_rows.push_back(std::vector<float>(reference.begin() + i * c.embed_dim,
                                                  reference.begin() + (i + 1) * c.embed_dim));
    expect_rows_match(folded, reference_rows, m + " folded vs unfolded", 0.999999, 2e-5);
  }
}

TEST(Resnet, EachImageIsIndependentOfItsBatch) {
  const nlohmann::json e = testing::read_json(models_dir() / "b" / "expected.json");
  auto model = Model::load(models_dir() / "b" / "state_dict.pt");
  const std::vector<float> pixels = testing::fixture_pixels(models_dir() / "b", e);
  const size_t images = e["images"].size(), dim = model->embed_dim(), per = 3 * 64 * 64;
  const auto batch = model->encode_images(pixels, images);
  for (size_t i = 0; i < images; ++i) {
    const auto one = model->encode_images(std::span(pixels.data() + i * per, per), 1);
    EXPECT_LE(testing::max_abs_diff(one, std::span(batch.data() + i * dim, dim)), 1e-5 * testing::max_abs(one))
        << "image " << i;
  }
}

TEST(Resnet, Bf16AndInt8HoldTheirAccuracy) {
  const nlohmann::json e = testing::read_json(models_dir() / "a" / "expected.json");
  const std::vector<float> pixels = testing::fixture_pixels(models_dir() / "a", e);
  for (const auto& [precision, min_cosine] : {std::pair{Precision::bf16, 0.9995}, std::pair{Precision::int8, 0.995}}) {
    ModelOptions options;
    options.precision = precision;
    auto model = Model::load(models_dir() / "a" / "RN-test.pt", options);
    const auto image_features = model->encode_images(pixels, e["images"].size());
    expect_rows_match(image_features, e["image_features"], std::string(to_string(precision)) + " image features",
                      min_cosine, 1.0);
    const auto text_features = model->encode_tokens(flat_tokens(e["tokens"]), e["tokens"].size());
    expect_rows_match(text_features, e["text_features"], std::string(to_string(precision)) + " text features",
                      min_cosine, 1.0);
  }
}

TEST(Resnet, ParametersCountWeightsNotBatchNormStatistics) {
  // clip/model.py's CLIP(...) for fixture a has 3,564,813 parameters (sum of
  // p.numel() for model.parameters()); running means and variances are buffers.
  auto model = Model::load(models_dir() / "a" / "RN-test.pt");
  EXPECT_EQ(model->info().parameters, 3564813);
}

TEST(ResnetLoad, BrokenWeightsTable) {
  const std::string b0 = "visual.layer1.0.";
  auto load = [](io::Checkpoint&& ckpt) {
    ModelInfo info;
    model::resnet::load(std::move(ckpt), ModelOptions{}, info);
  };
  testing::run_load_cases(
      models_dir() / "b" / "state_dict.pt", "clip",
      {
          {"missing running variance", [&](Tensors& t) { t.erase(b0 + "bn2.running_var"); }, ErrorCode::not_found,
           {"missing tensor '" + b0 + "bn2.running_var'"}},
          {"missing shortcut", [&](Tensors& t) { t.erase(b0 + "downsample.0.weight"); }, ErrorCode::not_found,
           {"missing tensor '" + b0 + "downsample.0.weight'"}},
          {"shortcut where none belongs",
           [](Tensors& t) { t["visual.layer1.1.downsample.0.weight"] = zeros({40, 40, 1, 1}); },
           ErrorCode::corrupt_data, {"unexpected tensor 'visual.layer1.1.downsample.0.weight'", "stages (2, 1, 1, 2)"}},
          {"misshapen 3×3", [&](Tensors& t) { t[b0 + "conv2.weight"] = zeros({10, 10, 1, 1}); },
           ErrorCode::corrupt_data, {"'" + b0 + "conv2.weight' has shape [10, 10, 1, 1], expected [10, 10, 3, 3]"}},
          {"extra block", [](Tensors& t) { t["visual.layer2.5.conv3.weight"] = zeros({80, 20, 1, 1}); },
           ErrorCode::corrupt_data, {"unexpected tensor 'visual.layer2.5.conv3.weight'"}},
          {"no stage 3", [](Tensors& t) { t.erase("visual.layer3.0.conv1.weight"); }, ErrorCode::not_found,
           {"without stage 3", "visual.layer3.0.conv1.weight"}},
          {"a fifth stage", [](Tensors& t) { t["visual.layer5.0.conv1.weight"] = zeros({1, 1, 1, 1}); },
           ErrorCode::unsupported, {"more than 4 stages"}},
          {"odd width", [](Tensors& t) { t["visual.layer1.0.conv1.weight"] = zeros({7, 10, 1, 1}); },
           ErrorCode::corrupt_data, {"width must be even"}},
          {"pool grid not square", [](Tensors& t) { t["visual.attnpool.positional_embedding"] = zeros({6, 320}); },
           ErrorCode::corrupt_data, {"6 rows, not a square grid + 1"}},
          {"pool width disagrees", [](Tensors& t) { t["visual.attnpool.positional_embedding"] = zeros({5, 256}); },
           ErrorCode::corrupt_data, {"pools 320-wide features"}},
          {"output size disagrees", [](Tensors& t) { t["visual.attnpool.c_proj.weight"] = zeros({41, 320}); },
           ErrorCode::corrupt_data, {"'visual.attnpool.c_proj.weight' has shape [41, 320], expected [40, 320]"}},
          {"missing text tower", [](Tensors& t) { t.erase("ln_final.weight"); }, ErrorCode::not_found,
           {"ln_final.weight"}},
          {"step counters are ignored", [](Tensors& t) { t["visual.bn1.num_batches_tracked"] = zeros({}); },
           ErrorCode::internal, {}},
      },
      load);
}

}  // namespace
}  // namespace clipkit
