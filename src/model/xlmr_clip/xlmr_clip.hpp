// model/xlmr_clip/xlmr_clip.hpp — open_clip's CLIPs with a Hugging Face XLM-RoBERTa text
// tower (xlm-roberta-base-ViT-B-32, xlm-roberta-large-ViT-H-14: laion5b): open_clip's
// ViT image tower (model/towers.cpp, GELU unless the config says quick_gelu) and
// open_clip's HFTextEncoder (hf_model.py, v2.24.0) around an XLMRobertaModel:
//
//   mask = ids != 1 (<pad>); x = XLMRobertaModel(ids, mask)  (model/bert: eps 1e-5,
//   RoBERTa position ids from 2, post-norm, exact GELU)
//   pooled = MeanPooler: the mean of x over the mask (<s> and </s> included)
//   text embedding = proj(pooled): "mlp" Linear(d, (d+e)/2) → GELU → Linear(., e), no
//   biases; or "linear" Linear(d, e), no bias
//
//   io::Checkpoint ckpt = io::load_checkpoint("xlm-roberta-base-ViT-B-32/");  // family "xlmr_clip"
//   Loaded loaded = xlmr_clip::load(std::move(ckpt), options, info);
//
// Layout read: an open_clip folder (open_clip_config.json + open_clip_model.safetensors
// or open_clip_pytorch_model.bin): visual.* (open_clip's ViT names), text.transformer.*
// (transformers' XLMRobertaModel names), text.proj.0/2.weight or text.proj.weight,
// logit_scale. The HF config of the text model is not in the folder (open_clip fetches
// it by name): its dimensions come from the tensor shapes (heads = width / 64: base 12,
// large 16), its kind from text_cfg.hf_model_name (xlm-roberta-*; anything else is
// refused). The tokenizer is XLM-R's sentencepiece.bpe.model beside the weights
// (SentencePieceConventions::xlm_roberta(): open_clip's whitespace clean-up, context 77).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/linear.hpp"
#include "model/bert/bert.hpp"
#include "model/network.hpp"
#include "model/weights.hpp"

namespace clipkit::model::xlmr_clip {

enum class Projection { mlp, linear, none };

struct Config {
  ModelConfig vision;  // the ViT's fields, embed_dim, activation
  bert::Config text;   // eps 1e-5, RoBERTa positions, pad 1, mean pooling
  int embed_dim = 0;
  int context_length = 77;
  Projection projection = Projection::mlp;
  int projection_hidden = 0;  // mlp: (width + embed_dim) / 2
  std::string hf_model_name;
  std::vector<std::pair<std::string, std::string>> choices;  // for `clipkit info`
};

struct Weights {
  Config config;
  VisionWeights vision;
  bert::Weights text;
  Buffer proj_0, proj_2;              // mlp: hidden × w, e × hidden; linear: proj_0 = e × w
  kernels::Linear projection_in, projection_out;  // packed (fp32)
  float logit_scale = 1.0f;  // exp(stored)
  int64_t parameters = 0;
  size_t weight_bytes = 0;
};

// The whole load for clipkit::Model (ckpt.family == "xlmr_clip"): weights checked and
// packed for options.precision, the tokenizer (info.tokenizer: sentencepiece, "xlmr"),
// the preprocessing of open_clip_config.json's preprocess_cfg, every choice in
// info.choices. Error naming the file: not_found (a missing tensor or config),
// corrupt_data (a wrong shape, an unexpected tensor, widths that disagree),
// unsupported (a text model other than XLM-RoBERTa, a pooler other than mean / CLS).
Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info);

Weights load_weights(io::Checkpoint&& ckpt);
void pack(Weights& weights, kernels::Precision precision);

// pixels: count × 3 × R × R. tokens: count × 77 ids (<s> … </s>, pad 1). count × embed_dim.
std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count);
std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count);

}  // namespace clipkit::model::xlmr_clip
