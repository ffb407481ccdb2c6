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

}  // namespace
}  // namespace clipkit::io
