// config.json / open_clip_config.json: fixture values, library defaults, activation
// rules and malformed fields.
#include "io/config_file.hpp"

#include <gtest/gtest.h>

#include "io_test_util.hpp"
#include "support/test_support.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::expect_error;
using clipkit::testing::fixtures_dir;
using clipkit::testing::TempDir;
using nlohmann::json;

TEST(ConfigFile, FixtureConfigsAgree) {
  for (const char* model : {"tiny_quickgelu", "tiny_gelu"}) {
    const auto dir = fixtures_dir() / "models" / model;
    const ContainerConfig hf = read_hf_config(dir / "hf/config.json");
    const ContainerConfig oc = read_open_clip_config(dir / "open_clip/open_clip_config.json");
    EXPECT_EQ(hf.ints, oc.ints) << model;
    EXPECT_EQ(hf.activation, oc.activation) << model;
    EXPECT_EQ(hf.ints.at("vision_heads"), 2);
    EXPECT_EQ(hf.ints.at("text_heads"), 1);
    EXPECT_EQ(hf.ints.at("context_length"), 77);
    EXPECT_EQ(hf.ints.size(), 11u);
  }
  EXPECT_EQ(read_hf_config(fixtures_dir() / "models/tiny_gelu/hf/config.json").activation, "gelu");
  EXPECT_EQ(read_hf_config(fixtures_dir() / "models/tiny_quickgelu/hf/config.json").activation,
            "quick_gelu");
}

TEST(ConfigFile, HfDefaultsAreViTB32) {
  const ContainerConfig c = parse_hf_config(json::object(), "c.json");
  EXPECT_EQ(c.activation, "quick_gelu");
  EXPECT_EQ(c.ints.at("vision_width"), 768);
  EXPECT_EQ(c.ints.at("patch_size"), 32);
  EXPECT_EQ(c.ints.at("text_heads"), 8);
  EXPECT_EQ(c.ints.at("embed_dim"), 512);
}

TEST(ConfigFile, OpenClipActivationAndLayout) {
  // A bare model config (open_clip's model_configs/*.json), no quick_gelu flag.
  const json bare = json::parse(R"({"embed_dim": 512, "vision_cfg": {"image_size": [224, 224],
      "layers": 12, "width": 768, "patch_size": 32}, "text_cfg": {"width": 512}})");
  const ContainerConfig c = parse_open_clip_config(bare, "b.json");
  EXPECT_EQ(c.activation, "gelu");
  EXPECT_EQ(c.ints.at("image_resolution"), 224);
  EXPECT_EQ(c.ints.at("vision_heads"), 12);
  EXPECT_EQ(c.ints.at("text_heads"), 8);
  // A ResNet tower: layers is a list; no transformer counts are claimed for it.
  const json rn = json::parse(R"({"model_cfg": {"quick_gelu": true, "vision_cfg":
      {"layers": [3, 4, 6, 3], "width": 64}}})");
  const ContainerConfig r = parse_open_clip_config(rn, "rn.json");
  EXPECT_EQ(r.activation, "quick_gelu");
  EXPECT_FALSE(r.ints.contains("vision_layers"));
  EXPECT_FALSE(r.ints.contains("vision_heads"));
}

TEST(ConfigFile, MalformedFields) {
  expect_error([] { parse_hf_config(json::parse(R"({"text_config": 3})"), "c.json"); },
               ErrorCode::corrupt_data, {"c.json", "text_config"});
  expect_error(
      [] { parse_hf_config(json::parse(R"({"vision_config": {"hidden_size": "wide"}})"), "c.json"); },
      ErrorCode::corrupt_data, {"hidden_size", "expected an integer"});
  expect_error(
      [] {
        parse_hf_config(json::parse(R"({"text_config": {"hidden_act": "gelu"},
                                        "vision_config": {"hidden_act": "quick_gelu"}})"),
                        "c.json");
      },
      ErrorCode::unsupported, {"differs"});
  expect_error([] { parse_open_clip_config(json::parse(R"({"quick_gelu": "yes"})"), "o.json"); },
               ErrorCode::corrupt_data, {"o.json", "quick_gelu"});
  TempDir tmp;
  clipkit::testing::write_bytes(tmp.path() / "config.json", clipkit::testing::bytes_of("{oops"));
  expect_error([&] { read_hf_config(tmp.path() / "config.json"); }, ErrorCode::corrupt_data,
               {"config.json", "not valid JSON"});
  expect_error([&] { read_hf_config(tmp.path() / "absent.json"); }, ErrorCode::not_found,
               {"absent.json"});
}

}  // namespace
}  // namespace clipkit::io
