// SigLIP loading: what each config rule reads, and the error each broken folder gives.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/clipkit.hpp"
#include "model/siglip/siglip.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;

fs::path fixture(const std::string& model, const std::string& format) {
  return testing::source_dir() / "tests" / "data" / "siglip" / "models" / model / format;
}

std::string choice(const Model& m, const std::string& what) {
  for (const auto& [key, value] : m.info().choices)
    if (key == what) return value;
  return "<none>";
}

// A copy of a fixture folder to break.
fs::path copy_of(const testing::TempDir& tmp, const std::string& model, const std::string& format) {
  const fs::path dst = tmp.path() / (model + "_" + format);
  fs::copy(fixture(model, format), dst, fs::copy_options::recursive);
  return dst;
}

// Rewrites a safetensors file's header with `edit` (data bytes unchanged).
void edit_safetensors(const fs::path& file, const std::function<void(nlohmann::json&)>& edit) {
  std::vector<uint8_t> bytes = testing::read_bytes(file);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n));
  edit(header);
  std::string text = header.dump();
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(text.size() >> (8 * i));
  out.insert(out.end(), text.begin(), text.end());
  out.insert(out.end(), bytes.begin() + 8 + static_cast<long>(n), bytes.end());
  testing::write_bytes(file, out);
}

void edit_json(const fs::path& file, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = testing::read_json(file);
  edit(j);
  const std::string text = j.dump();
  testing::write_bytes(file, std::vector<uint8_t>(text.begin(), text.end()));
}

TEST(SiglipTimmTowers, KnownNamesGiveTimmsHeadsAndActivation) {
  struct Row {
    const char* name;
    int heads;
    Activation activation;
  };
  const Row rows[] = {{"vit_base_patch16_siglip_224", 12, Activation::gelu},
                      {"vit_base_patch16_siglip_256", 12, Activation::gelu},
                      {"vit_large_patch16_siglip_384", 16, Activation::gelu},
                      {"vit_large_patch16_siglip_512", 16, Activation::gelu_tanh},
                      {"vit_so400m_patch14_siglip_384", 16, Activation::gelu},
                      {"vit_so400m_patch16_siglip_256", 16, Activation::gelu_tanh},
                      {"vit_giantopt_patch16_siglip_384", 16, Activation::gelu_tanh},
                      {"vit_base_patch32_siglip_256", 12, Activation::gelu_tanh}};
  for (const Row& r : rows) {
    int heads = 0;
    Activation act = Activation::quick_gelu;
    ASSERT_TRUE(model::siglip::known_timm_tower(r.name, heads, act)) << r.name;
    EXPECT_EQ(heads, r.heads) << r.name;
    EXPECT_EQ(act, r.activation) << r.name;
  }
  int heads = 0;
  Activation act = Activation::gelu;
  EXPECT_FALSE(model::siglip::known_timm_tower("vit_base_patch16_siglip_gap_224", heads, act));
  EXPECT_FALSE(model::siglip::known_timm_tower("vit_clipkit_test_a", heads, act));
}

TEST(SiglipLoad, InfoSaysWhichRuleGaveEachChoice) {
  auto oc = Model::load(fixture("a", "open_clip"));
  EXPECT_EQ(oc->info().format, "open_clip-safetensors");
  EXPECT_EQ(choice(*oc, "vision heads"), "4 (width / vision_cfg.head_width (24))");
  EXPECT_EQ(choice(*oc, "text heads"), "2 (text_cfg.heads)");
  EXPECT_EQ(oc->info().tokenizer.kind, "sentencepiece");
  EXPECT_EQ(oc->info().tokenizer.conventions, "siglip");
  EXPECT_EQ(oc->info().tokenizer.clean, "canonicalize");
  EXPECT_EQ(oc->info().tokenizer.file.filename(), "spiece.model");

  auto hf = Model::load(fixture("b", "hf"));
  EXPECT_EQ(hf->info().format, "hf-safetensors");
  EXPECT_EQ(hf->info().dtype, "bf16");
  EXPECT_EQ(choice(*hf, "vision heads"), "3 (vision_config.num_attention_heads)");
  EXPECT_EQ(choice(*hf, "activations"), "vision gelu_tanh, text gelu_tanh (hidden_act)");
  EXPECT_EQ(hf->info().tokenizer.conventions, "siglip2");
  EXPECT_EQ(hf->config().embed_dim, 72);
  EXPECT_EQ(hf->config().image_resolution, 64);

  auto c = Model::load(fixture("c", "open_clip"));
  EXPECT_EQ(c->info().format, "open_clip-torch");
  EXPECT_EQ(c->config().activation, Activation::gelu_tanh);  // text_cfg.act_kwargs
  EXPECT_EQ(c->info().tokenizer.conventions, "siglip2");
}

TEST(SiglipLoad, WeightsWithoutTheirConfigAreRefused) {
  testing::TempDir tmp;
  fs::copy_file(fixture("a", "hf") / "model.safetensors", tmp.path() / "model.safetensors");
  expect_error([&] { Model::load(tmp.path() / "model.safetensors"); }, ErrorCode::not_found,
               {"SigLIP weights need the config that describes them"});
}

TEST(SiglipLoad, NaFlexIsRefusedByName) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "hf");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["model_type"] = "siglip2"; });
  expect_error([&] { Model::load(dir); }, ErrorCode::unsupported, {"NaFlex"});
}

TEST(SiglipLoad, HeadsThatDoNotDivideTheWidthNameTheirSource) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "hf");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["vision_config"]["num_attention_heads"] = 5; });
  expect_error([&] { Model::load(dir); }, ErrorCode::corrupt_data,
               {"vision width 96 (from the weights) is not divisible by 5 attention heads "
                "(vision_config.num_attention_heads)"});
}

TEST(SiglipLoad, AnImageSizeThatDisagreesWithThePositionEmbeddingIsNamed) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "d", "hf");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["vision_config"]["image_size"] = 48; });
  expect_error([&] { Model::load(dir); }, ErrorCode::corrupt_data,
               {"vision_config.image_size 48 with 16-pixel patches gives 3² patches, but the position embedding "
                "has 4 rows"});
}

TEST(SiglipLoad, AnUnknownActivationIsRefused) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "hf");
  edit_json(dir / "config.json", [](nlohmann::json& j) { j["text_config"]["hidden_act"] = "swish"; });
  expect_error([&] { Model::load(dir); }, ErrorCode::unsupported, {"\"text_config.hidden_act\" is \"swish\""});
}

TEST(SiglipLoad, TowersWithoutTheMapHeadAreRefused) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "open_clip");
  edit_json(dir / "open_clip_config.json",
            [](nlohmann::json& j) { j["model_cfg"]["vision_cfg"]["timm_pool"] = "avg"; });
  expect_error([&] { Model::load(dir); }, ErrorCode::unsupported, {"timm_pool \"avg\""});
}

TEST(SiglipLoad, AMissingTensorIsNamed) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "hf");
  edit_safetensors(dir / "model.safetensors",
                   [](nlohmann::json& h) { h.erase("text_model.final_layer_norm.bias"); });
  expect_error([&] { Model::load(dir); }, ErrorCode::not_found, {"missing tensor 'text.ln_final.bias'"});
}

TEST(SiglipLoad, AnIncompleteQkvIsNamed) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "hf");
  edit_safetensors(dir / "model.safetensors",
                   [](nlohmann::json& h) { h.erase("vision_model.encoder.layers.1.self_attn.k_proj.weight"); });
  expect_error([&] { Model::load(dir); }, ErrorCode::corrupt_data,
               {"missing the k projection for 'visual.trunk.blocks.1.attn.qkv.weight'"});
}

TEST(SiglipLoad, AnExtraTensorIsNamed) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "open_clip");
  edit_safetensors(dir / "open_clip_model.safetensors", [](nlohmann::json& h) {
    h["visual.trunk.fc_norm.weight"] = h["visual.trunk.norm.weight"];
  });
  expect_error([&] { Model::load(dir); }, ErrorCode::corrupt_data, {"unexpected tensor 'visual.trunk.fc_norm.weight'"});
}

TEST(SiglipLoad, AWrongShapeIsNamed) {
  testing::TempDir tmp;
  const fs::path dir = copy_of(tmp, "a", "open_clip");
  // Swap two same-sized 1-D tensors' shapes for 2-D ones of the same element count.
  edit_safetensors(dir / "open_clip_model.safetensors",
                   [](nlohmann::json& h) { h["visual.trunk.norm.weight"]["shape"] = {2, 48}; });
  expect_error([&] { Model::load(dir); }, ErrorCode::corrupt_data,
               {"tensor 'visual.trunk.norm.weight' has shape [2, 48], expected [96]"});
}

TEST(SiglipScores, SigmoidOfScaledCosinePlusBias) {
  // cos = 0.6 and -0.8 against unit image [1, 0]: sigmoid(10·cos − 2).
  const std::vector<float> image = {1, 0}, texts = {0.6f, 0.8f, -0.8f, 0.6f};
  const auto s = sigmoid_scores(image, texts, 10.0f, -2.0f);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s[0], 1.0 / (1.0 + std::exp(-4.0)), 1e-6);
  EXPECT_NEAR(s[1], 1.0 / (1.0 + std::exp(10.0)), 1e-9);
}

}  // namespace
}  // namespace clipkit
