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
  // Issue 15: the message dumped the value, recursing once per level (stack overflow).
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  expect_error(
      [&] { parse_hf_config(json::parse(R"({"vision_config": {"hidden_size": [)" + deep + "]}}"), "c.json"); },
      ErrorCode::corrupt_data, {"\"hidden_size\" is an array of 1 entries", "expected an integer"});
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

// A zero head count once reached a division (SIGFPE, issue 15): every dimension a
// config states must be an integer from 1 to 2^24, and the message names the key.
TEST(ConfigFile, DimensionsMustBePositiveAndBounded) {
  struct Case {
    const char* json;
    bool open_clip;
    const char* key;
  };
  const Case cases[] = {
      {R"({"vision_config": {"num_attention_heads": 0}})", false, "\"vision_config.num_attention_heads\" is 0"},
      {R"({"text_config": {"num_attention_heads": 0}})", false, "\"text_config.num_attention_heads\" is 0"},
      {R"({"text_config": {"hidden_size": -64}})", false, "\"text_config.hidden_size\" is -64"},
      {R"({"vision_config": {"patch_size": 0}})", false, "\"vision_config.patch_size\" is 0"},
      {R"({"projection_dim": 1099511627776})", false, "\"projection_dim\" is 1099511627776"},
      {R"({"vision_cfg": {"heads": 0}})", true, "\"vision_cfg.heads\" is 0"},
      {R"({"model_cfg": {"text_cfg": {"heads": 0}}})", true, "\"text_cfg.heads\" is 0"},
      {R"({"vision_cfg": {"head_width": 0}})", true, "\"vision_cfg.head_width\" is 0"},
      {R"({"vision_cfg": {"width": -1}})", true, "\"vision_cfg.width\" is -1"},
  };
  for (const Case& c : cases) {
    expect_error(
        [&] {
          if (c.open_clip)
            parse_open_clip_config(json::parse(c.json), "o.json");
          else
            parse_hf_config(json::parse(c.json), "c.json");
        },
        ErrorCode::corrupt_data, {c.open_clip ? "o.json: " : "c.json: ", c.key, "expected an integer from 1 to 16777216"},
        c.json);
  }
}

TEST(ConfigFile, OriginsSayWhereEachValueCameFrom) {
  const ContainerConfig c = parse_hf_config(json::parse(R"({"text_config": {"num_attention_heads": 4}})"), "c.json");
  EXPECT_EQ(c.origins.at("text_heads"), "text_config.num_attention_heads in c.json");
  EXPECT_EQ(c.origins.at("vision_heads"), "c.json has no vision_config.num_attention_heads, so the default 12");
}

TEST(ConfigFile, JsonSyntaxErrorsNameTheByteNotTheLibrary) {
  TempDir tmp;
  clipkit::testing::write_bytes(tmp.path() / "config.json", clipkit::testing::bytes_of("{\"a\": tru}"));
  try {
    read_hf_config(tmp.path() / "config.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (tmp.path() / "config.json").string() + ": not valid JSON (syntax error at byte 10)");
  }
}

}  // namespace
}  // namespace clipkit::io
