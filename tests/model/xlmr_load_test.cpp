// The XLM-RoBERTa loaders (model/xlmr_clip, model/mclip) on broken weights and configs:
// each mutation gives the error it must (code and words), naming the file and the
// tensor or key.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "clipkit/clipkit.hpp"
#include "io/checkpoint.hpp"
#include "model/mclip/mclip.hpp"
#include "model/xlmr_clip/xlmr_clip.hpp"
#include "support/load_cases.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::Tensors;

fs::path models_dir() { return testing::source_dir() / "tests/data/xlmr/models"; }

using testing::run_load_cases;
using testing::zeros;

TEST(XlmrClipLoad, BrokenWeightsTable) {
  const std::string l0 = "text.transformer.encoder.layer.0.";
  run_load_cases(models_dir() / "b", "xlmr_clip",
            {
                {"missing key bias", [&](Tensors& t) { t.erase(l0 + "attention.self.key.bias"); }, ErrorCode::not_found,
                 {"missing tensor '" + l0 + "attention.self.key.bias'"}},
                {"missing projection", [](Tensors& t) { t.erase("text.proj.weight"); }, ErrorCode::not_found,
                 {"missing tensor 'text.proj.weight'"}},
                {"misshapen projection", [](Tensors& t) { t["text.proj.weight"] = zeros({23, 128}); },
                 ErrorCode::corrupt_data, {"'text.proj.weight' has shape [23, 128], expected [24, 128]"}},
                {"extra layer", [](Tensors& t) { t["text.transformer.encoder.layer.9.output.dense.bias"] = zeros({128}); },
                 ErrorCode::corrupt_data, {"unexpected tensor 'text.transformer.encoder.layer.9.output.dense.bias'",
                                           "XLM-RoBERTa CLIP", "2 text layers"}},
                {"width not a multiple of 64",
                 [](Tensors& t) { t["text.transformer.embeddings.word_embeddings.weight"] = zeros({1002, 96}); },
                 ErrorCode::corrupt_data, {"BERT width 96 is not a multiple of 64"}},
                {"too few positions",
                 [](Tensors& t) { t["text.transformer.embeddings.position_embeddings.weight"] = zeros({60, 128}); },
                 ErrorCode::corrupt_data, {"60 positions", "77 tokens"}},
                {"no encoder layers",
                 [&](Tensors& t) { t.erase(l0 + "attention.self.query.weight"); }, ErrorCode::not_found,
                 {"no BERT layers found"}},
                {"non-finite logit scale", [](Tensors& t) { t["logit_scale"].data[0] = 1.0f / 0.0f; },
                 ErrorCode::corrupt_data, {"logit_scale is not finite"}},
                {"pooler ignored", [](Tensors& t) { t["text.transformer.pooler.dense.bias"] = zeros({128}); },
                 ErrorCode::internal, {}},
            },
            [](io::Checkpoint&& ckpt) { model::xlmr_clip::load_weights(std::move(ckpt)); });
}

TEST(MclipLoad, BrokenWeightsTable) {
  run_load_cases(models_dir() / "mclip", "mclip",
            {
                {"missing linear bias", [](Tensors& t) { t.erase("LinearTransformation.bias"); }, ErrorCode::not_found,
                 {"missing tensor 'LinearTransformation.bias'"}},
                {"numDims disagrees", [](Tensors& t) { t["LinearTransformation.weight"] = zeros({31, 192}); },
                 ErrorCode::corrupt_data, {"numDims 32", "31 rows"}},
                {"transformerDimensions disagrees",
                 [](Tensors& t) { t["transformer.embeddings.word_embeddings.weight"] = zeros({1002, 256}); },
                 ErrorCode::corrupt_data, {"transformerDimensions 192", "width is 256"}},
                {"stray tensor", [](Tensors& t) { t["visual.proj"] = zeros({4, 4}); }, ErrorCode::corrupt_data,
                 {"unexpected tensor 'visual.proj'", "M-CLIP text tower"}},
            },
            [](io::Checkpoint&& ckpt) { model::mclip::load_weights(std::move(ckpt)); });
}

// A copy of a fixture folder with its JSON config edited.
fs::path edited_copy(const testing::TempDir& tmp,const std::string& model, const std::string& config,
                     const std::function<void(nlohmann::json&)>& edit) {
  const fs::path dir = tmp.path() / model;
  fs::copy(models_dir() / model, dir, fs::copy_options::recursive);
  nlohmann::json j = testing::read_json(dir / config);
  edit(j);
  const std::string text = j.dump();
  testing::write_bytes(dir / config, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  return dir;
}

TEST(XlmrClipLoad, ConfigsClipkitCannotRunAreRefused) {
  struct ConfigCase {
    const char* model;
    const char* config;
    std::function<void(nlohmann::json&)> edit;
    ErrorCode code;
    std::vector<std::string> fragments;
  };
  const std::vector<ConfigCase> cases = {
      {"a", "open_clip_config.json", [](nlohmann::json& j) { j["model_cfg"]["text_cfg"]["hf_model_name"] = "roberta-base"; },
       ErrorCode::unsupported, {"open_clip_config.json", "'roberta-base' is not supported"}},
      {"a", "open_clip_config.json", [](nlohmann::json& j) { j["model_cfg"]["text_cfg"]["hf_pooler_type"] = "cls_pooler"; },
       ErrorCode::unsupported, {"hf_pooler_type 'cls_pooler'"}},
      {"a", "open_clip_config.json", [](nlohmann::json& j) { j["model_cfg"]["text_cfg"]["hf_proj_type"] = 7; },
       ErrorCode::corrupt_data, {"text_cfg.hf_proj_type is not a string"}},
      {"mclip", "config.json", [](nlohmann::json& j) { j["modelBase"] = "bert-base-multilingual-cased"; },
       ErrorCode::unsupported, {"config.json", "modelBase 'bert-base-multilingual-cased' is not supported"}},
      {"mclip", "config.json", [](nlohmann::json& j) { j.erase("modelBase"); }, ErrorCode::corrupt_data,
       {"modelBase is missing"}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const ConfigCase& c = cases[i];
    testing::TempDir one;
    const fs::path dir = edited_copy(one, c.model, c.config, c.edit);
    ModelOptions options;
    fs::path image_model = dir;
    if (std::string(c.model) == "mclip") {
      options.text_model = dir;
      image_model = testing::fixtures_dir() / "models/tiny_quickgelu/model.jit.pt";
    }
    try {
      Model::load(image_model, options);
      ADD_FAILURE() << "case " << i << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), c.code) << "case " << i << ": " << e.what();
      for (const std::string& f : c.fragments)
        EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "case " << i << ": '" << f << "' not in " << e.what();
    }
  }
}

TEST(XlmrClipLoad, ASafetensorsFileAloneNeedsItsConfig) {
  testing::TempDir tmp;
  fs::copy_file(models_dir() / "a" / "open_clip_model.safetensors", tmp.path() / "open_clip_model.safetensors");
  testing::expect_error([&] { Model::load(tmp.path() / "open_clip_model.safetensors"); }, ErrorCode::not_found,
                        {"open_clip_config.json"});
}

}  // namespace
}  // namespace clipkit
