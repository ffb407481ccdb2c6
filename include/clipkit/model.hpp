// clipkit/model.hpp — an image–text model: OpenAI-architecture CLIP ViTs (as
// OpenAI's clip/model.py), SigLIP / SigLIP 2 (as open_clip + timm and
// transformers' modeling_siglip), Chinese-CLIP (OpenAI's ViT + a BERT text tower, as
// cn_clip), open_clip's XLM-RoBERTa CLIPs, and M-CLIP's multilingual text towers paired
// with an image model (ModelOptions::text_model), loaded from the checkpoints people have.
//
//   auto model = clipkit::Model::load("ViT-B-32.pt");          // or an HF/open_clip folder
//   std::vector<float> img = model->encode_images(pixels, 1);  // 1 × embed_dim
//   std::vector<float> txt = model->encode_tokens(tokens, 3);  // 3 × embed_dim
//
// Layout: all matrices are row-major. Images are CHW floats after clip_preprocess
// (3 × image_size × image_size each, packed); token rows are context_length ids each.
// Outputs are the projections (encode_image / encode_text), not normalized.
//
// Thread-safety: a loaded Model is immutable; encode_* may be called from many
// threads at once (each call allocates its own scratch; calls share the model's
// worker threads and take turns on them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "clipkit/image.hpp"

namespace clipkit {

// quick_gelu: x·σ(1.702x) (OpenAI); gelu: exact (erf); gelu_tanh: GELU's tanh
// approximation (SigLIP's "gelu_pytorch_tanh").
enum class Activation { quick_gelu, gelu, gelu_tanh };
const char* to_string(Activation activation);
// "quick_gelu" / "gelu" / "gelu_tanh" (also "quickgelu", "gelu_pytorch_tanh",
// "gelu_new"); Error(invalid_argument) otherwise.
Activation parse_activation(const std::string& name);

// Compute precision of the transformer blocks' matrix products.
//  fp32: exact (the default; parity with OpenAI's reference).
//  bf16: bf16 weights and activations, fp32 accumulation (AVX512-BF16 / AMX where
//        the CPU has them, a slower but correct path where not). Cosine ≥ 0.9995 to fp32.
//  int8: weights quantized per output channel, activations per token at run time,
//        int32 accumulation (VNNI / AMX). Cosine ≥ 0.995 to fp32.
enum class Precision { fp32, bf16, int8 };
const char* to_string(Precision precision);
Precision parse_precision(const std::string& name);  // "fp32" / "bf16" / "int8"

// The matrix-product backend and the instruction set it dispatched to on this CPU,
// e.g. "oneDNN 2.6 (avx512_core_amx)".
std::string compute_backend();

// How a model turns image–text cosines into label scores.
//  softmax: CLIP — softmax over the texts of exp(logit_scale)·cos (they sum to 1).
//  sigmoid: SigLIP — sigmoid(exp(logit_scale)·cos + logit_bias) for each text on its
//           own: independent probabilities that need not sum to 1.
enum class Scoring { softmax, sigmoid };
const char* to_string(Scoring scoring);

// The tokenizer a model needs, found beside its weights.
struct TokenizerSpec {
  // "clip-bpe" (OpenAI's BPE), "sentencepiece" or "wordpiece" (Chinese-CLIP's BERT
  // vocab.txt: Tokenizer::from_wordpiece, rows of context_length() = 52)
  std::string kind = "clip-bpe";
  std::filesystem::path file;     // sentencepiece: the .model file; wordpiece: vocab.txt if found
  // sentencepiece: "siglip" (T5 / mc4 vocab: EOS 1 appended, pad 1), "siglip2"
  // (Gemma vocab: no BOS, EOS 1, pad 0) or "xlm_roberta" (fairseq ids: <s> 0, pad 1,
  // </s> 2). wordpiece: "" (cn_clip's) or "bert" (transformers' BertTokenizer).
  std::string conventions;
  // wordpiece: BasicTokenizer's do_lower_case.
  bool lower_case = true;
  // sentencepiece: the text clean-up, "canonicalize" (open_clip: "_" → " ", punctuation
  // removed, lower-cased), "canonicalize_hf" (transformers' SiglipTokenizer),
  // "whitespace" (open_clip's HFTokenizer: ftfy, html, whitespace) or "none".
  std::string clean;
};

// The dimensions of a model (names as OpenAI's build_model; SigLIP fills the same
// fields, `activation` being its text tower's).
struct ModelConfig {
  int embed_dim = 512;
  int image_resolution = 224;
  int vision_layers = 12;
  int vision_width = 768;
  int vision_heads = 12;
  int vision_patch_size = 32;  // 0 for a ResNet image tower
  // A ResNet image tower (OpenAI's ModifiedResNet: RN50 is 3, 4, 6, 3): bottleneck blocks
  // per stage; empty for a ViT. vision_layers is then their sum, vision_width the stem's
  // width (64 for RN50) and vision_heads the attention pool's (width·32 / 64).
  std::vector<int> vision_stages;
  int context_length = 77;
  int vocab_size = 49408;
  int text_width = 512;
  int text_heads = 8;
  int text_layers = 12;
  Activation activation = Activation::quick_gelu;

  static ModelConfig vit_b_32();  // OpenAI's ViT-B/32 (the defaults above)
};

struct ModelInfo {
  std::filesystem::path path;   // what was loaded (empty for a random model)
  // "clip", "siglip", "chinese_clip", "xlmr_clip" (open_clip's XLM-RoBERTa CLIPs) or
  // "mclip" (M-CLIP: a text tower only)
  std::string family = "clip";
  std::string format;           // "openai-torchscript", "torch-state-dict", "hf-safetensors", ...
  std::string architecture;     // "ViT-B/32"-style name when recognised, else "ViT"
  std::string dtype;            // dtype of the stored weights ("f16", "f32", "bf16")
  ModelConfig config;
  int64_t parameters = 0;
  Precision precision = Precision::fp32;
  size_t weight_bytes = 0;      // resident weights after packing for `precision`
  std::optional<std::filesystem::path> vocab_path;  // tokenizer files found beside the weights
  Scoring scoring = Scoring::softmax;
  TokenizerSpec tokenizer;
  // The transform the checkpoint declares (size = image_size); CLIP's by default.
  PreprocessOptions preprocess;
  // With ModelOptions::text_model: where the text tower came from (else empty). family,
  // format, architecture and dtype above describe the image model; tokenizer, vocab_path,
  // the config's text fields and context_length are the text model's.
  std::filesystem::path text_model_path;
  std::string text_family, text_format, text_architecture;
  // Every choice read from the files and where it came from, for `clipkit info`:
  // {"vision heads", "16 (timm's vit_so400m_patch14_siglip_384)"}, ...
  std::vector<std::pair<std::string, std::string>> choices;
};

struct ModelOptions {
  // A text tower from another checkpoint, paired with this one's image tower: M-CLIP
  // (a multilingual text tower trained into a CLIP's image space; M-CLIP has no image
  // tower) or any model of the same embedding size. The model then tokenizes and encodes
  // texts with the text model and images with the main one; its scores are the main
  // model's (logit_scale). Error(invalid_argument) when the embedding sizes differ.
  std::optional<std::filesystem::path> text_model;
  std::optional<Activation> activation;  // overrides what the checkpoint says
  int threads = 0;                       // compute threads; 0 = all cores
  Precision precision = Precision::fp32;
};

class Model;

// What a loaded model is, as one JSON object (UTF-8 text): format, architecture, dtype,
// dims, precision, scoring, preprocess, tokenizer and every choice read from its files —
// what `clipkit info --json` prints and the C API's clipkit_model_info_json returns.
// Paths that are not valid UTF-8 are shown with U+FFFD, their bytes in "<key>_b64".
std::string model_info_json(const Model& model);

// The embedded default model (models/emoji-clip): installed beside the running program
// (<exe>/../share/clipkit/models/emoji-clip), beside the installed shared library
// (<prefix>/lib/libclipkit.so.N → <prefix>/share/clipkit/models/emoji-clip), under the
// install prefix, or in the source tree this library was built from. nullopt when none
// of them exists.
std::optional<std::filesystem::path> default_model_path();

class Model {
 public:
  // Loads a checkpoint file (.pt, .bin, .safetensors) or folder (Hugging Face,
  // open_clip). CLIP dimensions are inferred from tensor shapes (heads = width / 64)
  // unless a config file states them; SigLIP needs its config file (heads,
  // activations, LayerNorm eps). Chinese-CLIP: cn_clip's own .pt files
  // ({"state_dict"}, "module." prefixes or not; heads = width / 64, ViT-H 16) and
  // transformers' ChineseCLIPModel folders (config.json, model.safetensors /
  // pytorch_model.bin, vocab.txt, preprocessor_config.json: OFA-Sys/chinese-clip-*).
  // Throws Error naming the file and the problem: not_found, corrupt_data (bad
  // container, missing/extra tensor, wrong shape), unsupported (ResNet, NaFlex, unknown
  // dtype).
  // open_clip's XLM-RoBERTa CLIPs (xlm-roberta-{base,large}-ViT-*): their open_clip
  // folder with XLM-R's sentencepiece.bpe.model. M-CLIP folders only as
  // options.text_model (alone: Error(unsupported), they have no image tower).
  static std::unique_ptr<Model> load(const std::filesystem::path& path,
                                     const ModelOptions& options = {});

  // A model with random weights (seeded) — for benchmarks and tests.
  static std::unique_ptr<Model> random(const ModelConfig& config, uint64_t seed = 0,
                                       const ModelOptions& options = {});

  const ModelInfo& info() const;
  const ModelConfig& config() const;
  int embed_dim() const;
  int image_size() const;
  int context_length() const;
  float logit_scale() const;  // exp(logit_scale) as stored
  float logit_bias() const;   // SigLIP's logit_bias; 0 for CLIP
  Scoring scoring() const;
  int threads() const;

  // pixels: count × 3 × image_size × image_size. Returns count × embed_dim.
  // Throws Error(invalid_argument) if the span size does not match.
  std::vector<float> encode_images(std::span<const float> pixels, size_t count) const;

  // tokens: count × context_length ids. CLIP: SOT … EOT, zero padding; the text tower
  // runs only up to each row's EOT (its largest id, as OpenAI's argmax): exact, and
  // cheap for short prompts. SigLIP: the whole row (pads are attended to).
  // Chinese-CLIP: [CLS] … [SEP], 0 padding (52 ids); pads are masked as cn_clip masks
  // them, so only each row's non-pad tokens are computed (exact); a row must start
  // with a non-pad id unless it is all pads. XLM-R (open_clip, 77 ids; M-CLIP, 512):
  // <s> … </s>, padding 1, likewise masked and cut; a row of pads only is refused (the
  // mean over no tokens). With a text_model, the rows are the text model's.
  // Returns count × embed_dim.
  std::vector<float> encode_tokens(std::span<const int32_t> tokens, size_t count) const;

  ~Model();
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipkit
