// HF CLIPModel -> OpenAI names: one-to-one renames, q/k/v concatenation order,
// projection transposes, dropped buffers, pass-through of unknown names.
#include "io/name_map.hpp"

#include <gtest/gtest.h>

#include "io_test_util.hpp"

namespace clipkit::io {
namespace {

using clipkit::testing::expect_error;

Tensor filled(std::vector<int64_t> shape, float start) {
  Tensor t;
  t.shape = std::move(shape);
  t.data.resize(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = start + static_cast<float>(i);
  return t;
}

TEST(NameMap, OneToOneNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"text_model.embeddings.token_embedding.weight", "token_embedding.weight"},
      {"text_model.embeddings.position_embedding.weight", "positional_embedding"},
      {"text_model.encoder.layers.11.self_attn.out_proj.bias", "transformer.resblocks.11.attn.out_proj.bias"},
      {"text_model.encoder.layers.0.layer_norm1.weight", "transformer.resblocks.0.ln_1.weight"},
      {"text_model.encoder.layers.0.layer_norm2.bias", "transformer.resblocks.0.ln_2.bias"},
      {"text_model.encoder.layers.3.mlp.fc1.weight", "transformer.resblocks.3.mlp.c_fc.weight"},
      {"text_model.encoder.layers.3.mlp.fc2.bias", "transformer.resblocks.3.mlp.c_proj.bias"},
      {"text_model.final_layer_norm.weight", "ln_final.weight"},
      {"vision_model.embeddings.class_embedding", "visual.class_embedding"},
      {"vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"},
      {"vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"},
      {"vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"},
      {"vision_model.post_layernorm.weight", "visual.ln_post.weight"},
      {"vision_model.encoder.layers.7.mlp.fc2.weight", "visual.transformer.resblocks.7.mlp.c_proj.weight"},
      {"logit_scale", "logit_scale"},
      {"visual.layer1.0.conv1.weight", "visual.layer1.0.conv1.weight"},
  };
  for (const auto& [hf, openai] : cases) {
    const auto mapped = hf_to_openai_name(hf);
    ASSERT_TRUE(mapped.has_value()) << hf;
    EXPECT_EQ(*mapped, openai) << hf;
  }
  EXPECT_FALSE(hf_to_openai_name("text_model.embeddings.position_ids").has_value());
  EXPECT_FALSE(hf_to_openai_name("visual_projection.weight").has_value());
  EXPECT_FALSE(hf_to_openai_name("vision_model.encoder.layers.0.self_attn.k_proj.bias").has_value());
}

TEST(NameMap, ConcatenatesQkvAndTransposesProjections) {
  std::map<std::string, Tensor> hf;
  const std::string layer = "vision_model.encoder.layers.0.self_attn.";
  hf[layer + "v_proj.weight"] = filled({2, 2}, 200);
  hf[layer + "q_proj.weight"] = filled({2, 2}, 0);
  hf[layer + "k_proj.weight"] = filled({2, 2}, 100);
  hf[layer + "q_proj.bias"] = filled({2}, 0);
  hf[layer + "k_proj.bias"] = filled({2}, 10);
  hf[layer + "v_proj.bias"] = filled({2}, 20);
  hf["visual_projection.weight"] = filled({2, 3}, 0);  // [embed 2, width 3]
  hf["text_projection.weight"] = filled({1, 2}, 5);
  hf["vision_model.embeddings.position_ids"] = filled({1, 5}, 0);
  const auto out = map_hf_to_openai(std::move(hf), "m.safetensors");
  const Tensor& w = out.at("visual.transformer.resblocks.0.attn.in_proj_weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{6, 2}));
  EXPECT_EQ(w.data, (std::vector<float>{0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203}));
  EXPECT_EQ(out.at("visual.transformer.resblocks.0.attn.in_proj_bias").data,
            (std::vector<float>{0, 1, 10, 11, 20, 21}));
  const Tensor& proj = out.at("visual.proj");
  EXPECT_EQ(proj.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(proj.data, (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(out.at("text_projection").shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(out.size(), 4u);  // position_ids dropped
}

TEST(NameMap, IncompleteOrMismatchedQkvIsAnError) {
  std::map<std::string, Tensor> missing;
  missing["text_model.encoder.layers.2.self_attn.q_proj.weight"] = filled({2, 2}, 0);
  missing["text_model.encoder.layers.2.self_attn.v_proj.weight"] = filled({2, 2}, 0);
  expect_error([&] { map_hf_to_openai(missing, "m.bin"); }, ErrorCode::corrupt_data,
               {"m.bin", "transformer.resblocks.2.attn.in_proj_weight", "k_proj", "missing"});
  std::map<std::string, Tensor> mismatched = missing;
  mismatched["text_model.encoder.layers.2.self_attn.k_proj.weight"] = filled({3, 2}, 0);
  expect_error([&] { map_hf_to_openai(mismatched, "m.bin"); }, ErrorCode::corrupt_data,
               {"k_proj has shape [3, 2]", "q_proj has [2, 2]"});
  std::map<std::string, Tensor> flat;
  flat["visual_projection.weight"] = filled({6}, 0);
  expect_error([&] { map_hf_to_openai(flat, "m.bin"); }, ErrorCode::corrupt_data,
               {"'visual_projection.weight'", "[6]", "2-D"});
}

TEST(NameMap, DetectsHfAndDropsNonParameters) {
  std::map<std::string, Tensor> t;
  t["visual.proj"] = filled({1}, 0);
  EXPECT_FALSE(looks_like_hf_clip(t));
  t["input_resolution"] = filled({}, 224);
  t["context_length"] = filled({}, 77);
  t["vocab_size"] = filled({}, 49408);
  t["transformer.resblocks.0.attn_mask"] = filled({1}, 0);
  drop_non_parameters(t);
  EXPECT_EQ(t.size(), 1u);
  t["vision_model.post_layernorm.bias"] = filled({1}, 0);
  EXPECT_TRUE(looks_like_hf_clip(t));
}

}  // namespace
}  // namespace clipkit::io
