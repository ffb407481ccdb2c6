// model/siglip/siglip.hpp — Google's SigLIP / SigLIP 2 (sigmoid-loss CLIP): a ViT
// without class token whose tokens are pooled by a MAP head (a learned probe attending
// over them), and a bidirectional text transformer pooled at its last position.
//
//   io::Checkpoint ckpt = io::load_checkpoint(folder);   // ckpt.family == "siglip"
//   siglip::Weights w = siglip::load_weights(std::move(ckpt));
//   siglip::pack(w, kernels::Precision::fp32);
//   auto img = siglip::encode_images(w, pixels, n);      // n × embed_dim
//   auto txt = siglip::encode_tokens(w, ids, m);         // m × embed_dim
//
// Layouts it reads (mapped at load onto one naming, open_clip's timm tower names):
//  - open_clip folders: visual.trunk.* (timm VisionTransformer, global_pool "map")
//    and text.* (open_clip TextTransformer), hyper-parameters from
//    open_clip_config.json's model_cfg;
//  - Hugging Face SiglipModel: vision_model.* / text_model.*, config.json.
// The math, as timm's vision_transformer.py + AttentionPoolLatent, open_clip's
// TextTransformer (no causal mask, pool_type "last") and transformers'
// modeling_siglip.py:
//   vision: patch conv (with bias) + position embedding (patches only), blocks
//           (pre-norm, LayerNorm eps 1e-6), final norm on every token, then
//           MAP: q = probe·Wq, k|v = x·Wkv, multi-head attention, out proj,
//           y = y + MLP(LN(y)); token 0 is the embedding (no projection).
//   text:   token + position embeddings over the whole context (no mask, no EOT
//           shortcut: pads are attended to), blocks, final norm, the last position,
//           then a Linear head (bias when the file has one).
//   score:  sigmoid(exp(logit_scale)·cos + logit_bias), per text.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/linear.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"

namespace clipkit::model::siglip {

struct Config {
  int embed_dim = 0;
  int image_size = 0, patch_size = 0;
  int vision_width = 0, vision_layers = 0, vision_heads = 0, vision_mlp = 0, head_mlp = 0;
  int text_width = 0, text_layers = 0, text_heads = 0, text_mlp = 0;
  int context_length = 0, vocab_size = 0;
  Activation vision_activation = Activation::gelu;  // blocks of the vision tower
  Activation head_activation = Activation::gelu;    // the MAP head's MLP
  Activation text_activation = Activation::gelu;
  float vision_eps = 1e-6f, text_eps = 1e-6f;
  // What was read and from where, for `clipkit info`: {"vision heads", "16 (timm
  // model vit_so400m_patch14_siglip_384)"}, ...
  std::vector<std::pair<std::string, std::string>> choices;
};

struct VisionWeights {
  Buffer patch_weight, patch_bias;  // width × 3·p·p, width
  Buffer pos_embed;                 // grid² × width
  std::vector<BlockWeights> blocks;
  Buffer norm_weight, norm_bias;
  Buffer probe;                     // width
  Buffer q_weight, q_bias;          // width × width
  Buffer kv_weight, kv_bias;        // 2·width × width (k rows, then v rows)
  Buffer proj_weight, proj_bias;
  Buffer head_norm_weight, head_norm_bias;
  Buffer fc1_weight, fc1_bias, fc2_weight, fc2_bias;
  // Packed; probe_q = probe·Wqᵀ + bq (the same query for every image).
  kernels::Linear patch_embed, kv, proj, fc1, fc2;
  Buffer probe_q;
};

struct TextWeights {
  Buffer token_embedding;     // vocab × width
  Buffer positional_embedding;  // context × width
  std::vector<BlockWeights> blocks;
  Buffer ln_final_weight, ln_final_bias;
  Buffer head_weight, head_bias;  // embed × width, embed (bias may be empty)
  kernels::Linear head;
};

struct Weights {
  Config config;
  VisionWeights vision;
  TextWeights text;
  float logit_scale = 1.0f;  // exp(stored)
  float logit_bias = 0.0f;
  int64_t parameters = 0;
  size_t weight_bytes = 0;
};

// The whole load for clipkit::Model: weights (load_weights), packed for
// options.precision, the tokenizer and preprocessing the folder declares (into
// `info`, with every choice in info.choices). options.activation overrides all three
// towers' activations.
Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info);

// Maps, checks and takes the tensors of a SigLIP checkpoint (ckpt.family == "siglip").
// Throws Error naming the file: not_found (a missing tensor or config), corrupt_data
// (wrong shapes, an unexpected tensor, a bad config value), unsupported (a timm tower
// without the MAP head, e.g. the "…_gap_…" variants; NaFlex).
Weights load_weights(io::Checkpoint&& ckpt);

// Packs every GEMM for `precision` (the blocks; the patch embedding, MAP head and text
// head stay fp32) and frees the unpacked copies.
void pack(Weights& weights, kernels::Precision precision);

// pixels: count × 3 × R × R (CHW). Returns count × embed_dim.
std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count);
// tokens: count × context_length. Returns count × embed_dim.
std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count);

// The vision heads and activation timm gives a known SigLIP tower name
// ("vit_so400m_patch14_siglip_384" → 16, gelu); false for names it does not know.
bool known_timm_tower(const std::string& name, int& heads, Activation& activation);

}  // namespace clipkit::model::siglip
