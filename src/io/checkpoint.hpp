// io/checkpoint.hpp — reads any supported CLIP checkpoint container into named
// fp32 tensors under OpenAI's canonical names (internal; not a public header).
//
//   io::Checkpoint ckpt = io::load_checkpoint("ViT-B-32.pt");
//   const io::Tensor& w = ckpt.tensors.at("visual.conv1.weight");
//
// Containers: OpenAI TorchScript zips, torch.save(state_dict) zips (.pt/.bin),
// Hugging Face folders (config.json + model.safetensors), open_clip folders
// (open_clip_config.json + open_clip_model.safetensors), bare .safetensors.
// Half-precision weights (f16/bf16) are widened to fp32 here.
// The model layer (not this one) checks that the set of names and shapes forms a CLIP.
//
// SigLIP weights (open_clip's timm towers: visual.trunk.attn_pool.latent; Hugging
// Face's SiglipModel: vision_model.head.probe) are recognised by their names and kept
// under their own names (family "siglip"): model/siglip maps and checks them, reading
// `config_file` itself.
// Chinese-CLIP's own .pt files (torch.save({"state_dict": …}), keys possibly prefixed
// "module."): OpenAI's ViT under visual.* and a BERT under bert.* are kept under their
// own names (family "chinese_clip", vocab_path = a vocab.txt beside the file);
// model/chinese_clip checks them. transformers' ChineseCLIPModel (text_model.embeddings.
// word_embeddings beside vision_model.*: OFA-Sys/chinese-clip-* folders, or their
// model.safetensors / pytorch_model.bin alone) is mapped onto those names
// (name_map.hpp: map_hf_chinese_clip_to_cn_clip), family "chinese_clip", config_file =
// the config.json beside (model/chinese_clip reads it), vocab_path = the vocab.txt beside.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clipkit::io {

// A dense row-major fp32 tensor.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // product(shape) elements
  int64_t numel() const;
};

struct Checkpoint {
  std::filesystem::path path;   // the file (or folder) given
  // "clip" (OpenAI names); "siglip", "chinese_clip", "xlmr_clip" (open_clip with an
  // XLM-RoBERTa text tower: text.transformer.*) or "mclip" (M-CLIP's text tower:
  // transformer.* + LinearTransformation.*), names as stored.
  std::string family = "clip";
  // The config file that describes the weights (config.json / open_clip_config.json),
  // when there is one.
  std::optional<std::filesystem::path> config_file;
  // A SentencePiece model in the folder (spiece.model, tokenizer.model,
  // sentencepiece.bpe.model), if any.
  std::optional<std::filesystem::path> sentencepiece_path;
  std::string format;           // "openai-torchscript", "torch-state-dict", "hf-safetensors",
                                // "open_clip-safetensors", "safetensors"
  std::string dtype;            // dtype of the stored weights: "f32", "f16", "bf16" (most common)
  // Activation named by the container: "quick_gelu" for OpenAI TorchScript files,
  // from config.json ("hidden_act") / open_clip_config.json ("quick_gelu" flag) when
  // present; empty when the container does not say.
  std::string activation;
  // Hyper-parameters a config file states (e.g. "context_length", "vision_heads",
  // "text_heads"); the model layer prefers these to inference from shapes.
  std::map<std::string, int64_t> config_ints;
  // Where each of config_ints came from (for messages), see ContainerConfig::origins.
  std::map<std::string, std::string> config_origins;
  // Canonical OpenAI names ("visual.transformer.resblocks.0.attn.in_proj_weight", ...).
  // Non-parameter entries of OpenAI files (input_resolution, context_length,
  // vocab_size) and HF's position_ids buffers are dropped.
  std::map<std::string, Tensor> tensors;
  // Files in the folder that a tokenizer can read (merges / vocab), if any.
  std::optional<std::filesystem::path> vocab_path;
};

// Throws clipkit::Error naming the file and the problem: not_found, corrupt_data
// (truncated / non-zip / malformed pickle / header out of bounds / dtype×numel
// mismatch), unsupported (unknown dtype, unknown container).
Checkpoint load_checkpoint(const std::filesystem::path& path);

}  // namespace clipkit::io
