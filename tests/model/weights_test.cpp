// The model layer's checks on a checkpoint's tensors: what makes a CLIP ViT.
#include "model/weights.hpp"

#include <cmath>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"

namespace clipkit::model {
namespace {

ModelConfig tiny_config() {
  ModelConfig c;
  c.embed_dim = 16;
  c.image_resolution = 32;
  c.vision_patch_size = 16;
  c.vision_width = 64;
  c.vision_heads = 1;
  c.vision_layers = 2;
  c.text_width = 64;
  c.text_heads = 1;
  c.text_layers = 1;
  c.vocab_size = 100;
  c.context_length = 10;
  return c;
}

io::Checkpoint checkpoint_for(const ModelConfig& c) {
  io::Checkpoint ckpt;
  ckpt.path = "model.safetensors";
  for (const auto& [name, shape] : expected_tensors(c)) {
    io::Tensor t;
    t.shape = shape;
    t.data.assign(static_cast<size_t>(t.numel()), 0.5f);
    ckpt.tensors.emplace(name, std::move(t));
  }
  return ckpt;
}

void expect_error(io::Checkpoint ckpt, ErrorCode code, const std::string& fragment) {
  try {
    weights_from_checkpoint(std::move(ckpt));
    FAIL() << "expected an error containing '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("model.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Weights, InfersConfigFromShapes) {
  auto w = weights_from_checkpoint(checkpoint_for(tiny_config()));
  EXPECT_EQ(w.config.vision_layers, 2);
  EXPECT_EQ(w.config.text_layers, 1);
  EXPECT_EQ(w.config.image_resolution, 32);
  EXPECT_EQ(w.config.embed_dim, 16);
  EXPECT_EQ(w.config.vision_heads, 1);
  EXPECT_EQ(w.config.context_length, 10);
  EXPECT_NEAR(w.logit_scale, std::exp(0.5f), 1e-6);
  EXPECT_EQ(w.vision.blocks.size(), 2u);
}

TEST(Weights, ConfigHeadsOverrideInference) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.config_ints["vision_heads"] = 4;
  EXPECT_EQ(weights_from_checkpoint(std::move(ckpt)).config.vision_heads, 4);
}

TEST(Weights, HeadsThatDoNotDivideTheWidthNameTheirOrigin) {
  // A config with no vision_config makes transformers' default of 12 heads apply.
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.config_ints["vision_heads"] = 12;
  ckpt.config_origins["vision_heads"] = "config.json has no vision_config.num_attention_heads, so the default 12";
  expect_error(std::move(ckpt), ErrorCode::corrupt_data,
               "vision width 64 (from the weights) is not divisible by 12 attention heads (config.json has no "
               "vision_config.num_attention_heads, so the default 12)");
  auto zero = checkpoint_for(tiny_config());
  zero.config_ints["text_heads"] = 0;  // once a SIGFPE
  expect_error(std::move(zero), ErrorCode::corrupt_data, "is not divisible by 0 attention heads (the config file)");
}

TEST(Weights, MissingTensor) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors.erase("visual.ln_post.bias");
  expect_error(std::move(ckpt), ErrorCode::not_found, "missing tensor 'visual.ln_post.bias'");
}

TEST(Weights, WrongShape) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors["transformer.resblocks.0.mlp.c_fc.weight"].shape = {255, 64};
  expect_error(std::move(ckpt), ErrorCode::corrupt_data,
               "'transformer.resblocks.0.mlp.c_fc.weight' has shape [255, 64], expected [256, 64]");
}

TEST(Weights, ExtraTensor) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors["visual.extra_head.weight"] = io::Tensor{{2}, {1, 2}};
  expect_error(std::move(ckpt), ErrorCode::corrupt_data, "unexpected tensor 'visual.extra_head.weight'");
}

TEST(Weights, IgnoresNonParameterEntries) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors["transformer.resblocks.0.attn_mask"] = io::Tensor{{1}, {0}};
  EXPECT_NO_THROW(weights_from_checkpoint(std::move(ckpt)));
}

TEST(Weights, RefusesResNet) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors["visual.layer1.0.conv1.weight"] = io::Tensor{{1}, {0}};
  expect_error(std::move(ckpt), ErrorCode::unsupported, "unsupported architecture: ModifiedResNet");
}

TEST(Weights, NonFiniteLogitScale) {
  auto ckpt = checkpoint_for(tiny_config());
  ckpt.tensors["logit_scale"].data[0] = std::nanf("");
  expect_error(std::move(ckpt), ErrorCode::corrupt_data, "logit_scale");
}

TEST(Weights, RandomViTB32HasOpenAIParameterCount) {
  // OpenAI's ViT-B/32 has 151,277,313 parameters (sum of its state_dict numels).
  auto w = random_weights(ModelConfig::vit_b_32(), 1);
  EXPECT_EQ(w.parameters, 151277313);
}

}  // namespace
}  // namespace clipkit::model
