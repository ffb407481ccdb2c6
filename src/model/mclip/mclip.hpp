// model/mclip/mclip.hpp — M-CLIP (FreddeFrallan/Multilingual-CLIP; Hugging Face
// M-CLIP/XLM-Roberta-Large-Vit-B-32, -Vit-L-14, -Vit-B-16Plus, LABSE-Vit-L-14): a multilingual text
// tower trained into the embedding space of an existing CLIP image tower (OpenAI's
// ViT-B/32, ViT-L/14; open_clip's ViT-B-16-plus-240). It has no image tower of its own,
// so it is loaded beside one: ModelOptions::text_model / `--text-model DIR`.
//
// pt_multilingual_clip.py's MultilingualCLIP.forward:
//   embs = XLMRobertaModel(ids, attention_mask)[0]           (model/bert: eps 1e-5,
//   embs = (embs · mask).sum(1) / mask.sum(1)                 RoBERTa positions, pad 1)
//   return LinearTransformation(embs)                         (Linear with bias)
// Its tokenizer call has no max_length, so a text may use every position the model has
// (514 − 2 = 512 tokens); clipkit's rows are that long and longer texts are cut (or
// refused with --no-truncate) where the reference would fail.
//
// Layout read: config.json ({"model_type": "M-CLIP", "modelBase": "xlm-roberta-large",
// "transformerDimensions": 1024, "numDims": 768}) + pytorch_model.bin / model.safetensors
// with transformer.* (XLMRobertaModel names; transformer.pooler.* is unused) and
// LinearTransformation.{weight,bias}; the tokenizer is sentencepiece.bpe.model beside
// them (SentencePieceConventions::xlm_roberta_hf(): no clean-up).
// LaBSE (modelBase "…LaBSE"): the same with a BertModel (eps 1e-12, position ids 0, 1, …,
// pad 0) and transformers' BertTokenizer over vocab.txt (do_lower_case from
// tokenizer_config.json; LaBSE's is false), rows of 512.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/linear.hpp"
#include "model/bert/bert.hpp"
#include "model/network.hpp"

namespace clipkit::model::mclip {

enum class Kind { xlm_roberta, labse };

struct Config {
  Kind kind = Kind::xlm_roberta;
  bert::Config text;
  int embed_dim = 0;       // numDims
  int context_length = 0;  // bert::max_tokens(text): 512 for XLM-R's 514 positions
  std::string model_base;  // config.json modelBase
  std::vector<std::pair<std::string, std::string>> choices;
};

struct Weights {
  Config config;
  bert::Weights text;
  Buffer linear_weight, linear_bias;  // numDims × width, numDims
  kernels::Linear linear;             // packed (fp32)
  int64_t parameters = 0;
  size_t weight_bytes = 0;
};

// The whole load (ckpt.family == "mclip"); the returned Loaded is text_only. Error
// naming the file: not_found (no config.json, a missing tensor), corrupt_data (a wrong
// shape, an unexpected tensor, a config that disagrees with the tensors), unsupported
// (a modelBase other than XLM-RoBERTa or LaBSE).
Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info);

Weights load_weights(io::Checkpoint&& ckpt);
void pack(Weights& weights, kernels::Precision precision);

// tokens: count × context_length ids (<s> … </s>, pad 1; LaBSE [CLS] … [SEP], pad 0).
// Returns count × embed_dim.
std::vector<float> encode_tokens(const Weights& w, const int32_t* tokens, size_t count);
// Error(unsupported): M-CLIP has no image tower.
std::vector<float> encode_images(const Weights& w, const float* pixels, size_t count);

}  // namespace clipkit::model::mclip
