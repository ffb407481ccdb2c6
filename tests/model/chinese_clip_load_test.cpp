// Chinese-CLIP's loader on broken weights: each mutation of fixture b's tensors gives the
// error it must (code and words), naming the file and the tensor.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "io/checkpoint.hpp"
#include "model/chinese_clip/chinese_clip.hpp"
#include "support/load_cases.hpp"
#include "support/test_support.hpp"

namespace clipkit {
namespace {

namespace fs = std::filesystem;
using testing::Tensors;

using testing::LoadCase;
using testing::zeros;

TEST(ChineseClipLoad, BrokenWeightsTable) {
  const fs::path file = testing::source_dir() / "tests/data/chinese_clip/models/b/clip_cn_test.pt";
  const std::string q0 = "bert.encoder.layer.0.attention.self.query.weight";
  const std::vector<LoadCase> cases = {
      {"missing key bias", [](Tensors& t) { t.erase("bert.encoder.layer.0.attention.self.key.bias"); },
       ErrorCode::not_found, {"missing tensor 'bert.encoder.layer.0.attention.self.key.bias'"}},
      {"missing projection", [](Tensors& t) { t.erase("text_projection"); }, ErrorCode::not_found,
       {"missing tensor 'text_projection'"}},
      {"misshapen intermediate", [](Tensors& t) { t["bert.encoder.layer.0.output.dense.weight"] = zeros({128, 95}); },
       ErrorCode::corrupt_data, {"'bert.encoder.layer.0.output.dense.weight' has shape [128, 95], expected [128, 96]"}},
      {"extra layer tensor", [](Tensors& t) { t["bert.encoder.layer.7.output.dense.bias"] = zeros({128}); },
       ErrorCode::corrupt_data, {"unexpected tensor 'bert.encoder.layer.7.output.dense.bias'", "1 BERT layers"}},
      {"pooler is ignored", [](Tensors& t) { t["bert.pooler.dense.weight"] = zeros({128, 128}); },
       ErrorCode::internal, {}},
      {"flash attention layout",
       [&](Tensors& t) {
         t["bert.encoder.layer.0.attention.self.Wqkv.weight"] = zeros({384, 128});
         t.erase(q0);
       },
       ErrorCode::unsupported, {"'bert.encoder.layer.0.attention.self.Wqkv.weight'", "convert_state_dict"}},
      {"width not a multiple of 64",
       [](Tensors& t) { t["bert.embeddings.word_embeddings.weight"] = zeros({2564, 96}); }, ErrorCode::corrupt_data,
       {"BERT width 96 is not a multiple of 64"}},
      {"too few positions", [](Tensors& t) { t["bert.embeddings.position_embeddings.weight"] = zeros({40, 128}); },
       ErrorCode::corrupt_data, {"40 positions", "52 tokens"}},
      {"embedding sizes disagree", [](Tensors& t) { t["text_projection"] = zeros({128, 23}); }, ErrorCode::corrupt_data,
       {"visual.proj [64, 24] and text_projection [128, 23] disagree"}},
      {"no BERT layers",
       [&](Tensors& t) { t.erase(q0); }, ErrorCode::not_found,
       {"no BERT layers found", "'bert.encoder.layer.0.attention.self.query.weight'"}},
      {"ResNet image tower", [](Tensors& t) { t["visual.layer1.0.conv1.weight"] = zeros({1}); },
       ErrorCode::unsupported, {"ModifiedResNet"}},
      {"non-finite logit scale",
       [](Tensors& t) { t["logit_scale"].data[0] = std::numeric_limits<float>::infinity(); }, ErrorCode::corrupt_data,
       {"logit_scale is not finite"}},
  };
  testing::run_load_cases(file, "chinese_clip", cases, [](io::Checkpoint&& ckpt) {
    const model::chinese_clip::Weights w = model::chinese_clip::load_weights(std::move(ckpt));
    EXPECT_EQ(w.config.text.layers, 1);
  });
}

TEST(ChineseClipLoad, ViTHugeHasSixteenHeads) {
  // cn_clip's ViT-H-14 has width 1280 with heads of 80: 16, not width / 64 = 20. Checked on
  // the config inference alone, with a 1280-wide vision tower of one block.
  io::Checkpoint ckpt = io::load_checkpoint(testing::source_dir() / "tests/data/chinese_clip/models/b/clip_cn_test.pt");
  Tensors& t = ckpt.tensors;
  const int64_t w = 1280, embed = 24;
  const std::string p = "visual.transformer.resblocks.0.";
  t["visual.conv1.weight"] = zeros({w, 3, 8, 8});
  t["visual.class_embedding"] = zeros({w});
  t["visual.positional_embedding"] = zeros({17, w});
  t["visual.proj"] = zeros({w, embed});
  for (const char* n : {"visual.ln_pre.weight", "visual.ln_pre.bias", "visual.ln_post.weight", "visual.ln_post.bias"})
    t[n] = zeros({w});
  t[p + "attn.in_proj_weight"] = zeros({3 * w, w});
  t[p + "attn.in_proj_bias"] = zeros({3 * w});
  t[p + "attn.out_proj.weight"] = zeros({w, w});
  t[p + "attn.out_proj.bias"] = zeros({w});
  t[p + "mlp.c_fc.weight"] = zeros({4 * w, w});
  t[p + "mlp.c_fc.bias"] = zeros({4 * w});
  t[p + "mlp.c_proj.weight"] = zeros({w, 4 * w});
  for (const char* n : {"ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "mlp.c_proj.bias"}) t[p + n] = zeros({w});
  const model::chinese_clip::Weights weights = model::chinese_clip::load_weights(std::move(ckpt));
  EXPECT_EQ(weights.config.vision.vision_width, 1280);
  EXPECT_EQ(weights.config.vision.vision_heads, 16);
}

}  // namespace
}  // namespace clipkit
