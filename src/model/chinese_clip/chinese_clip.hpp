// model/chinese_clip/chinese_clip.hpp — Chinese-CLIP (OFA-Sys, cn_clip): OpenAI's ViT
// image tower (model/towers.cpp, QuickGELU) with a BERT text tower (RoBERTa-wwm-ext /
// RBT3), as cn_clip/clip/model.py and modeling_bert.py compute them.
//
//   io::Checkpoint ckpt = io::load_checkpoint("clip_cn_vit-b-16.pt");  // family "chinese_clip"
//   chinese_clip::Weights w = chinese_clip::load_weights(std::move(ckpt));
//   chinese_clip::pack(w, kernels::Precision::fp32);
//   auto img = chinese_clip::encode_images(w, pixels, n);  // n × embed_dim
//   auto txt = chinese_clip::encode_tokens(w, ids, m);     // m × embed_dim, rows of 52 ids
//
// Layout read: cn_clip's own checkpoints, torch.save({"state_dict": …}) with or without
// DataParallel's "module." prefixes (io strips them), fp16 or fp32 — and transformers'
// ChineseCLIPModel, which io maps onto these names (text_model.X → bert.X, CLIP's
// vision_model.* → visual.*, the Linear projections transposed):
//   visual.*                           OpenAI ViT names (heads = width / 64; 1280 → 16,
//                                      cn_clip's ViT-H-14 has head width 80)
//   bert.embeddings.{word,position,token_type}_embeddings.weight, .LayerNorm.*
//   bert.encoder.layer.N.attention.self.{query,key,value}.*, .attention.output.dense.*,
//     .attention.output.LayerNorm.*, .intermediate.dense.*, .output.dense.*, .output.LayerNorm.*
//   text_projection (width × embed), logit_scale; bert.pooler.* is ignored (unused).
// The text tower is model/bert's with BERT's settings: heads = width / 64 (every cn_clip
// text config: base 12, large 16, RBT3 12), LayerNorm eps 1e-12, exact GELU, position
// ids 0, 1, …, pad id 0 masked (cn_clip masks text.ne([PAD]) with −10000), [CLS]
// pooling; the embedding is x[0] · text_projection (no bias).
// A ChineseCLIPModel's config.json (ckpt.config_file) states instead: heads
// ({vision,text}_config.num_attention_heads, transformers' default 12), activations
// (hidden_act: quick_gelu / gelu by default), text layer_norm_eps (the ViT's must be
// 1e-5); the dimensions it states must be the weights' (corrupt_data otherwise). Its
// preprocessor_config.json gives the preprocessing (image::preprocess_from_hf:
// ChineseCLIPImageProcessor squashes as cn_clip does, after converting to RGB).
// Texts are 52 tokens as in cn_clip, whichever the layout.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/linear.hpp"
#include "model/bert/bert.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"

namespace clipkit::model::chinese_clip {

// cn_clip.clip.tokenize's default context.
inline constexpr int kContextLength = 52;

struct Config {
  ModelConfig vision;  // the ViT's fields, embed_dim, activation (QuickGELU)
  bert::Config text;   // eps 1e-12, absolute positions, pad 0, [CLS] pooling
  int embed_dim = 0;
  int context_length = kContextLength;
  std::vector<std::pair<std::string, std::string>> choices;  // for `clipkit info`
};

struct Weights {
  Config config;
  VisionWeights vision;
  bert::Weights text;
  Buffer text_projection;       // text width × embed, until packed
  kernels::Linear projection;   // packed text_projection (no bias)
  float logit_scale = 1.0f;  // exp(stored)
  int64_t parameters = 0;
  size_t weight_bytes = 0;
};

// The whole load for clipkit::Model: weights, packed for options.precision, the
// tokenizer (WordPiece over the vocab.txt beside the file, if any) and preprocessing,
// with every choice in info.choices. options.activation overrides both towers'.
Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info);

// Maps, checks and takes the tensors (ckpt.family == "chinese_clip"). Throws Error
// naming the file: not_found (a missing tensor), corrupt_data (a wrong shape, an
// unexpected tensor, widths that disagree, fewer positions than rows of 52),
// unsupported (flash-attention layouts, ResNet image towers).
Weights load_weights(io::Checkpoint&& ckpt);

// Packs the blocks' GEMMs for `precision` (patch embedding and projections stay fp32).
void pack(Weights& weights, kernels::Precision precision);

// pixels: count × 3 × R × R (CHW). Returns count × embed_dim.
std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count);
// tokens: count × context_length ids ([CLS] … [SEP], 0 padding). Returns count × embed_dim.
// Error(invalid_argument) for an id outside the vocabulary, or a row whose first id is
// the pad id 0 while it has other tokens.
std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count);

}  // namespace clipkit::model::chinese_clip
