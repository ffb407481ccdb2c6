// load_checkpoint over every fixture model × container: canonical names and shapes,
// bit-identical fp32 values across containers, activation/config, and the
// corrupt-input table for whole files.
#include "io/checkpoint.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <set>

#include "io/zip_reader.hpp"
#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

namespace fs = std::filesystem;
using clipkit::testing::expect_error;
using clipkit::testing::fixtures_dir;
using clipkit::testing::read_bytes;
using clipkit::testing::read_json;
using clipkit::testing::TempDir;
using clipkit::testing::write_bytes;

// The canonical names and shapes a ViT CLIP with these dims must have.
std::map<std::string, std::vector<int64_t>> expected_shapes(const nlohmann::json& dims) {
  const int64_t embed = dims["embed_dim"];
  const int64_t vw = dims["vision_width"];
  const int64_t patch = dims["vision_patch_size"];
  const int64_t grid = dims["image_resolution"].get<int64_t>() / patch;
  const int64_t tw = dims["transformer_width"];
  const int64_t ctx = dims["context_length"];
  std::map<std::string, std::vector<int64_t>> s;
  s["visual.class_embedding"] = {vw};
  s["visual.positional_embedding"] = {grid * grid + 1, vw};
  s["visual.proj"] = {vw, embed};
  s["visual.conv1.weight"] = {vw, 3, patch, patch};
  for (const char* ln : {"visual.ln_pre", "visual.ln_post"}) {
    s[std::string(ln) + ".weight"] = {vw};
    s[std::string(ln) + ".bias"] = {vw};
  }
  auto blocks = [&](const std::string& prefix, int64_t layers, int64_t w) {
    for (int64_t i = 0; i < layers; ++i) {
      const std::string p = prefix + std::to_string(i) + ".";
      s[p + "attn.in_proj_weight"] = {3 * w, w};
      s[p + "attn.in_proj_bias"] = {3 * w};
      s[p + "attn.out_proj.weight"] = {w, w};
      s[p + "attn.out_proj.bias"] = {w};
      s[p + "ln_1.weight"] = {w};
      s[p + "ln_1.bias"] = {w};
      s[p + "mlp.c_fc.weight"] = {4 * w, w};
      s[p + "mlp.c_fc.bias"] = {4 * w};
      s[p + "mlp.c_proj.weight"] = {w, 4 * w};
      s[p + "mlp.c_proj.bias"] = {w};
      s[p + "ln_2.weight"] = {w};
      s[p + "ln_2.bias"] = {w};
    }
  };
  blocks("visual.transformer.resblocks.", dims["vision_layers"], vw);
  blocks("transformer.resblocks.", dims["transformer_layers"], tw);
  s["token_embedding.weight"] = {dims["vocab_size"], tw};
  s["positional_embedding"] = {ctx, tw};
  s["ln_final.weight"] = {tw};
  s["ln_final.bias"] = {tw};
  s["text_projection"] = {tw, embed};
  s["logit_scale"] = {};
  return s;
}

std::string expected_format(const std::string& kind) {
  if (kind == "jit") return "openai-torchscript";
  if (kind == "state_dict") return "torch-state-dict";
  if (kind == "hf") return "hf-safetensors";
  return "open_clip-safetensors";
}

std::string expected_dtype(const std::string& kind) {
  if (kind == "jit") return "f16";
  if (kind == "state_dict") return "f32";
  if (kind == "hf") return "f16";
  return "bf16";
}

// First index where two tensors' bit patterns differ, or -1.
int64_t first_bit_difference(const Tensor& a, const Tensor& b) {
  for (size_t i = 0; i < a.data.size(); ++i) {
    if (std::bit_cast<uint32_t>(a.data[i]) != std::bit_cast<uint32_t>(b.data[i])) {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

TEST(Checkpoint, EveryFixtureFormatGivesTheSameCanonicalTensors) {
  const auto manifest = read_json(fixtures_dir() / "manifest.json");
  int formats_checked = 0;
  for (const auto& [model, info] : manifest["models"].items()) {
    const auto shapes = expected_shapes(info["dims"]);
    const fs::path dir = fixtures_dir() / "models" / model;
    std::optional<Checkpoint> reference;
    std::string reference_kind;
    for (const auto& [kind, file] : info["files"].items()) {
      SCOPED_TRACE(model + " / " + kind);
      const Checkpoint ckpt = load_checkpoint(dir / file.get<std::string>());
      ++formats_checked;
      EXPECT_EQ(ckpt.format, expected_format(kind));
      EXPECT_EQ(ckpt.dtype, expected_dtype(kind));
      if (kind == "state_dict") {
        EXPECT_EQ(ckpt.activation, "");
      } else {
        EXPECT_EQ(ckpt.activation, info["activation"].get<std::string>());
      }
      std::set<std::string> names, want;
      for (const auto& entry : ckpt.tensors) names.insert(entry.first);
      for (const auto& entry : shapes) want.insert(entry.first);
      EXPECT_EQ(names, want);
      for (const auto& [name, tensor] : ckpt.tensors) {
        auto it = shapes.find(name);
        if (it == shapes.end()) continue;
        EXPECT_EQ(tensor.shape, it->second) << name;
        EXPECT_EQ(static_cast<int64_t>(tensor.data.size()), tensor.numel()) << name;
      }
      if (kind == "hf" || kind == "open_clip") {
        const auto& d = info["dims"];
        const std::map<std::string, int64_t> want_ints = {
            {"embed_dim", d["embed_dim"]},
            {"image_resolution", d["image_resolution"]},
            {"patch_size", d["vision_patch_size"]},
            {"vision_width", d["vision_width"]},
            {"vision_layers", d["vision_layers"]},
            {"vision_heads", d["vision_width"].get<int64_t>() / 64},
            {"text_width", d["transformer_width"]},
            {"text_layers", d["transformer_layers"]},
            {"text_heads", d["transformer_heads"]},
            {"context_length", d["context_length"]},
            {"vocab_size", d["vocab_size"]}};
        EXPECT_EQ(ckpt.config_ints, want_ints);
      } else {
        EXPECT_TRUE(ckpt.config_ints.empty());
      }
      if (!reference) {
        reference = ckpt;
        reference_kind = kind;
        continue;
      }
      for (const auto& [name, tensor] : reference->tensors) {
        auto it = ckpt.tensors.find(name);
        if (it == ckpt.tensors.end()) continue;  // reported above
        ASSERT_EQ(it->second.shape, tensor.shape) << name;
        const int64_t diff = first_bit_difference(tensor, it->second);
        EXPECT_EQ(diff, -1) << name << " differs from " << reference_kind << " at index " << diff
                            << ": " << tensor.data[static_cast<size_t>(std::max<int64_t>(diff, 0))]
                            << " vs "
                            << it->second.data[static_cast<size_t>(std::max<int64_t>(diff, 0))];
      }
    }
  }
  EXPECT_EQ(formats_checked, 6);
}

TEST(Checkpoint, ValuesAreNotAllZeroAndLogitScaleIsPlausible) {
  const Checkpoint ckpt = load_checkpoint(fixtures_dir() / "models/tiny_quickgelu/model.jit.pt");
  const auto expected = read_json(fixtures_dir() / "models/tiny_quickgelu/expected.json");
  const float logit_scale = ckpt.tensors.at("logit_scale").data.at(0);
  EXPECT_NEAR(std::exp(logit_scale), expected["logit_scale"].get<double>(), 1e-3);
  // LayerNorm weights were perturbed away from 1 in the fixtures.
  const auto& ln = ckpt.tensors.at("visual.ln_pre.weight").data;
  EXPECT_TRUE(std::any_of(ln.begin(), ln.end(), [](float v) { return v != 1.0f; }));
}

TEST(Checkpoint, FolderReportsVocabFileWhenPresent) {
  TempDir tmp;
  const fs::path src = fixtures_dir() / "models/tiny_gelu/open_clip";
  fs::copy(src, tmp.path() / "oc");
  EXPECT_FALSE(load_checkpoint(tmp.path() / "oc").vocab_path.has_value());
  write_bytes(tmp.path() / "oc" / "merges.txt", clipkit::testing::bytes_of("#version\n"));
  const Checkpoint ckpt = load_checkpoint(tmp.path() / "oc");
  ASSERT_TRUE(ckpt.vocab_path.has_value());
  EXPECT_EQ(ckpt.vocab_path->filename(), "merges.txt");
  EXPECT_EQ(ckpt.format, "open_clip-safetensors");
}

TEST(Checkpoint, BareSafetensorsWithOpenAiNames) {
  const Checkpoint ckpt =
      load_checkpoint(fixtures_dir() / "models/tiny_gelu/open_clip/open_clip_model.safetensors");
  EXPECT_EQ(ckpt.format, "safetensors");
  EXPECT_EQ(ckpt.activation, "");
  EXPECT_EQ(ckpt.dtype, "bf16");
  EXPECT_TRUE(ckpt.tensors.contains("visual.transformer.resblocks.1.attn.in_proj_weight"));
}

TEST(Checkpoint, BareHfSafetensorsPicksUpConfigBeside) {
  const Checkpoint ckpt =
      load_checkpoint(fixtures_dir() / "models/tiny_gelu/hf/model.safetensors");
  EXPECT_EQ(ckpt.format, "hf-safetensors");
  EXPECT_EQ(ckpt.activation, "gelu");
  EXPECT_TRUE(ckpt.tensors.contains("transformer.resblocks.0.attn.in_proj_bias"));
}

TEST(Checkpoint, ResNetTensorsPassThrough) {
  TempDir tmp;
  const std::string header =
      R"({"visual.layer1.0.conv1.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("visual.attnpool.k_proj.bias":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  clipkit::testing::write_bytes(tmp.path() / "rn.safetensors",
                                clipkit::testing::make_safetensors(
                                    header, clipkit::testing::f32_bytes({1.5f, -1.0f})));
  const Checkpoint ckpt = load_checkpoint(tmp.path() / "rn.safetensors");
  EXPECT_EQ(ckpt.tensors.at("visual.layer1.0.conv1.weight").data, std::vector<float>{1.5f});
  EXPECT_EQ(ckpt.tensors.at("visual.attnpool.k_proj.bias").data, std::vector<float>{-1.0f});
}

// Chinese-CLIP's own .pt files (tests/data/chinese_clip/models): {"state_dict"} with
// "module." prefixes (a) or without (b) keep cn_clip's names.
TEST(Checkpoint, ChineseClipStateDictsKeepTheirNames) {
  const fs::path models = clipkit::testing::source_dir() / "tests/data/chinese_clip/models";
  for (const char* model : {"a", "b"}) {
    const Checkpoint ckpt = load_checkpoint(models / model / "clip_cn_test.pt");
    EXPECT_EQ(ckpt.family, "chinese_clip") << model;
    EXPECT_EQ(ckpt.format, "torch-state-dict") << model;
    EXPECT_EQ(ckpt.dtype, std::string(model) == "a" ? "f16" : "f32") << model;
    EXPECT_TRUE(ckpt.tensors.contains("bert.encoder.layer.0.attention.self.query.weight")) << model;
    EXPECT_TRUE(ckpt.tensors.contains("visual.transformer.resblocks.0.attn.in_proj_weight")) << model;
    EXPECT_FALSE(ckpt.vocab_path.has_value()) << model;
  }
  TempDir tmp;  // a vocab.txt beside the file is the tokenizer's
  fs::copy_file(models / "b" / "clip_cn_test.pt", tmp.path() / "clip_cn_test.pt");
  const std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
  write_bytes(tmp.path() / "vocab.txt", std::vector<uint8_t>(vocab.begin(), vocab.end()));
  EXPECT_EQ(load_checkpoint(tmp.path() / "clip_cn_test.pt").vocab_path, tmp.path() / "vocab.txt");
}

// A ChineseCLIPModel (BERT under text_model.embeddings) is mapped onto cn_clip's names,
// never read as a CLIPModel; without its projections it is refused naming them.
TEST(Checkpoint, HuggingFaceChineseClipIsMappedNotMisread) {
  TempDir tmp;
  const std::string header =
      R"({"text_model.embeddings.word_embeddings.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("vision_model.embeddings.class_embedding":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  write_bytes(tmp.path() / "model.safetensors",
              clipkit::testing::make_safetensors(header, clipkit::testing::f32_bytes({1.5f, -1.0f})));
  expect_error([&] { load_checkpoint(tmp.path() / "model.safetensors"); }, ErrorCode::not_found,
               {(tmp.path() / "model.safetensors").string(), "text_projection.weight"});

  const Checkpoint ckpt =
      load_checkpoint(clipkit::testing::source_dir() / "tests" / "data" / "chinese_clip" / "models" / "a_hf");
  EXPECT_EQ(ckpt.family, "chinese_clip");
  EXPECT_EQ(ckpt.format, "hf-safetensors");
  ASSERT_TRUE(ckpt.config_file.has_value());
  EXPECT_EQ(ckpt.config_file->filename(), "config.json");
  ASSERT_TRUE(ckpt.vocab_path.has_value());
  EXPECT_EQ(ckpt.vocab_path->filename(), "vocab.txt");
  for (const char* name : {"bert.embeddings.word_embeddings.weight", "bert.encoder.layer.2.output.LayerNorm.bias",
                           "visual.conv1.weight", "visual.transformer.resblocks.1.attn.in_proj_weight",
                           "visual.proj", "text_projection", "logit_scale"})
    EXPECT_TRUE(ckpt.tensors.count(name)) << name;
  for (const auto& [name, tensor] : ckpt.tensors)
    EXPECT_FALSE(name.starts_with("text_model.") || name.starts_with("vision_model.")) << name;
  EXPECT_EQ(ckpt.tensors.at("text_projection").shape, (std::vector<int64_t>{192, 40}));  // [width, embed]
  EXPECT_EQ(ckpt.tensors.at("visual.proj").shape, (std::vector<int64_t>{128, 40}));
}

struct Case {
  std::string label;
  fs::path path;
  ErrorCode code;
  std::vector<std::string> fragments;
};

// Whole-file corrupt inputs through the public entry point.
TEST(Checkpoint, CorruptInputTable) {
  TempDir tmp;
  const fs::path models = fixtures_dir() / "models";
  const auto jit = read_bytes(models / "tiny_quickgelu/model.jit.pt");
  const auto state_dict = read_bytes(models / "tiny_quickgelu/model.state_dict.pt");
  const auto st = read_bytes(models / "tiny_quickgelu/open_clip/open_clip_model.safetensors");
  auto file = [&](const std::string& name, std::span<const uint8_t> bytes) {
    write_bytes(tmp.path() / name, bytes);
    return tmp.path() / name;
  };
  auto cut = [](const std::vector<uint8_t>& b, double fraction) {
    return std::vector<uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(
                                                             static_cast<double>(b.size()) * fraction));
  };
  std::vector<Case> cases;
  cases.push_back({"empty .pt", file("empty.pt", {}), ErrorCode::corrupt_data, {"empty.pt", "empty"}});
  const std::string text = "definitely not a zip archive, only text";
  cases.push_back({"non-zip bytes named .pt",
                   file("text.pt", std::vector<uint8_t>(text.begin(), text.end())),
                   ErrorCode::corrupt_data, {"text.pt", "not a zip archive"}});
  cases.push_back({"jit .pt cut at 50%", file("half.pt", cut(jit, 0.5)), ErrorCode::corrupt_data,
                   {"half.pt", "truncated"}});
  cases.push_back({"jit .pt cut at 99%", file("most.pt", cut(jit, 0.99)), ErrorCode::corrupt_data,
                   {"most.pt", "truncated"}});
  cases.push_back({"state dict cut at 50%", file("sd_half.bin", cut(state_dict, 0.5)),
                   ErrorCode::corrupt_data, {"sd_half.bin", "truncated"}});
  {
    auto garbled = state_dict;
    ZipReader zip(state_dict, "x");
    const auto pkl = zip.stored_data(*zip.find("model.state_dict/data.pkl"));
    const size_t at = static_cast<size_t>(pkl.data() - state_dict.data());
    for (size_t i = 2; i < 12; ++i) garbled[at + i] ^= 0xa5;  // flip the first opcodes
    cases.push_back({"garbled data.pkl", file("garbled.pt", garbled), ErrorCode::corrupt_data,
                     {"garbled.pt", "data.pkl", "malformed pickle"}});
  }
  cases.push_back({"safetensors cut in the header", file("h.safetensors", cut(st, 0.0005)),
                   ErrorCode::corrupt_data, {"h.safetensors", "header length"}});
  cases.push_back({"safetensors cut in the data", file("d.safetensors", cut(st, 0.5)),
                   ErrorCode::corrupt_data, {"d.safetensors", "out of bounds"}});
  {
    fs::create_directories(tmp.path() / "hf_cut");
    fs::copy(models / "tiny_gelu/hf/config.json", tmp.path() / "hf_cut/config.json");
    write_bytes(tmp.path() / "hf_cut/model.safetensors", cut(read_bytes(models / "tiny_gelu/hf/model.safetensors"), 0.9));
    cases.push_back({"HF folder with cut weights", tmp.path() / "hf_cut", ErrorCode::corrupt_data,
                     {"model.safetensors", "out of bounds"}});
  }
  {
    fs::create_directories(tmp.path() / "hf_badcfg");
    fs::copy(models / "tiny_gelu/hf/model.safetensors", tmp.path() / "hf_badcfg/model.safetensors");
    write_bytes(tmp.path() / "hf_badcfg/config.json", clipkit::testing::bytes_of("{\"text_config\": ["));
    cases.push_back({"HF folder with broken config.json", tmp.path() / "hf_badcfg",
                     ErrorCode::corrupt_data, {"config.json", "not valid JSON"}});
  }
  fs::create_directories(tmp.path() / "no_weights");
  write_bytes(tmp.path() / "no_weights/vocab.json", clipkit::testing::bytes_of("{}"));
  cases.push_back({"folder without weights", tmp.path() / "no_weights", ErrorCode::not_found,
                   {"no_weights", "no CLIP weights", "model.safetensors", "open_clip_config.json"}});
  cases.push_back({"missing path", tmp.path() / "absent.pt", ErrorCode::not_found,
                   {"absent.pt", "no such file"}});
  cases.push_back({"unknown container", file("weights.onnx", std::vector<uint8_t>(64, 7)),
                   ErrorCode::unsupported, {"weights.onnx", "unknown checkpoint container"}});
  for (const Case& c : cases) {
    for (const auto& f : c.fragments) {
      expect_error([&] { load_checkpoint(c.path); }, c.code, {f}, c.label);
    }
  }
}

}  // namespace
}  // namespace clipkit::io
