// model/bert/bert.hpp — the bidirectional encoder text tower of Chinese-CLIP (BERT /
// RoBERTa-wwm-ext, cn_clip's modeling_bert.py), open_clip's XLM-RoBERTa towers and
// M-CLIP (transformers' XLMRobertaModel), as one data-driven network:
//
//   x = LN(word[id] + position[p] + token_type[0])            (embedding LayerNorm)
//   per layer: x = LN(x + Wo·attention(x)), x = LN(x + W2·gelu(W1·x))   (post-norm)
//   pooled = x[0] ([CLS]) or the mean of x over the row's real tokens
//
// Pad tokens (pad_id) are masked as keys (both references add a large negative to
// their scores, which exp() turns into 0), so a pad position never changes another;
// and pooling never reads them. They are therefore not computed: each row runs over
// its real tokens only, which is exact, and makes short queries cheap.
// Position ids: BERT numbers the row's positions 0, 1, …; RoBERTa numbers the real
// tokens pad_id + 1, pad_id + 2, … (transformers' create_position_ids_from_input_ids).
//
//   bert::Config c = bert::infer_config(ckpt.tensors, "text.transformer.", file);
//   c.eps = 1e-5f; c.positions = bert::Positions::roberta; c.pad_id = 1; c.pooling = bert::Pooling::mean;
//   bert::add_tensors(expected, c, "text.transformer.");   // then check_tensor_set
//   bert::Weights w = bert::take(ckpt.tensors, c, "text.transformer.");
//   bert::pack(w, precision);
//   std::vector<float> pooled = bert::encode(w, ids, count, context);  // count × width
//
// Names under the prefix are transformers' / cn_clip's (identical): embeddings.
// {word,position,token_type}_embeddings.weight, embeddings.LayerNorm.*,
// encoder.layer.N.attention.self.{query,key,value}.*, .attention.output.dense.*,
// .attention.output.LayerNorm.*, .intermediate.dense.*, .output.dense.*, .output.LayerNorm.*.
// pooler.* (BertPooler: unused by every family here) and position_ids buffers are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "clipkit/model.hpp"
#include "kernels/linear.hpp"
#include "model/tensor_checks.hpp"

namespace clipkit::model::bert {

enum class Positions { absolute, roberta };
enum class Pooling { cls, mean };

struct Config {
  // From the tensors (infer_config).
  int width = 0, layers = 0, heads = 0, intermediate = 0;
  int vocab_size = 0, max_positions = 0, type_vocab_size = 0;
  // The family's (BERT's defaults here).
  float eps = 1e-12f;
  Activation activation = Activation::gelu;
  int32_t pad_id = 0;
  Positions positions = Positions::absolute;
  Pooling pooling = Pooling::cls;
};

struct Layer {
  Buffer qkv_weight, qkv_bias;  // 3w × w: query rows, key rows, value rows
  Buffer attention_out_weight, attention_out_bias, attention_norm_weight, attention_norm_bias;
  Buffer intermediate_weight, intermediate_bias;  // i × w
  Buffer output_weight, output_bias;              // w × i
  Buffer output_norm_weight, output_norm_bias;
  kernels::Linear qkv, attention_out, intermediate, output;  // packed by pack()
};

struct Weights {
  Config config;
  Buffer word_embeddings;      // vocab × w
  Buffer position_embeddings;  // max_positions × w
  Buffer token_type_0;         // w: token type 0 (no family here passes another)
  Buffer embedding_norm_weight, embedding_norm_bias;
  std::vector<Layer> layers;
};

// Width, vocabulary, positions, token types, layers (encoder.layer.N counted) and
// intermediate size from the tensors under `prefix`; heads = width / 64 (every
// BERT / XLM-R config clipkit knows; the caller may set another). Error naming `file`:
// not_found (no embeddings, no layers), corrupt_data (wrong ranks, a width that is not
// a multiple of 64, no token types).
Config infer_config(const Tensors& tensors, const std::string& prefix, const std::string& file);

// Appends the names and shapes of the tower under `prefix`.
void add_tensors(ShapeList& out, const Config& config, const std::string& prefix);

// Whether `name` is an entry the tower carries but does not use (prefix + "pooler.*",
// position_ids buffers).
bool ignorable(const std::string& name, const std::string& prefix);

// The most real tokens a row may have: the position table's rows (RoBERTa: less the
// pad_id + 1 ids it skips).
int max_tokens(const Config& config);

// The text fields of a ModelConfig (what clipkit::Model reports) for this tower and a
// row width of `context_length`.
void describe(const Config& config, int context_length, ModelConfig& out);

// Moves the checked tensors out of `tensors`.
Weights take(Tensors& tensors, const Config& config, const std::string& prefix);

// Packs the layers' GEMMs for `precision`; returns the resident bytes of the tower.
size_t pack(Weights& weights, kernels::Precision precision);

// tokens: count rows of `context` ids. Returns count × width, pooled.
// Error(invalid_argument): an id outside the vocabulary; more real tokens in a row than
// max_tokens(); with CLS pooling, a row whose first id is the pad id while it has other
// tokens (a row of pads only keeps every position, as an all-masked row does in the
// references); with mean pooling, a row of pads only (the references divide by zero).
std::vector<float> encode(const Weights& weights, const int32_t* tokens, size_t count, size_t context);

}  // namespace clipkit::model::bert
