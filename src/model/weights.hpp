// model/weights.hpp — a CLIP ViT's parameters, checked and arranged by tower.
//
//   ClipWeights w = weights_from_checkpoint(std::move(ckpt), activation_override);
//
// The canonical names are OpenAI's; weights_from_checkpoint infers the dimensions
// from tensor shapes as OpenAI's build_model does (heads = width / 64) unless the
// checkpoint's config states them, and refuses anything that is not exactly a CLIP
// ViT: missing or extra tensors, wrong shapes, ResNet towers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/linear.hpp"
#include "model/tensor_checks.hpp"

namespace clipkit::model {

struct BlockWeights {
  Buffer ln_1_weight, ln_1_bias;
  Buffer in_proj_weight, in_proj_bias;    // 3w × w, 3w
  Buffer out_proj_weight, out_proj_bias;  // w × w, w
  Buffer ln_2_weight, ln_2_bias;
  Buffer c_fc_weight, c_fc_bias;          // m × w, m (MLP width m: 4w in CLIP)
  Buffer c_proj_weight, c_proj_bias;      // w × m, w
  // The four GEMMs, packed by pack_weights (which frees the buffers above).
  kernels::Linear in_proj, out_proj, c_fc, c_proj;
};

struct VisionWeights {
  Buffer conv1_weight;         // width × 3 × patch × patch
  Buffer class_embedding;      // width
  Buffer positional_embedding; // (grid² + 1) × width
  Buffer ln_pre_weight, ln_pre_bias;
  std::vector<BlockWeights> blocks;
  Buffer ln_post_weight, ln_post_bias;
  Buffer proj;                 // width × embed_dim
  kernels::Linear patch_embed, projection;  // packed conv1 and proj
};

struct TextWeights {
  Buffer token_embedding;      // vocab × width
  Buffer positional_embedding; // context × width
  std::vector<BlockWeights> blocks;
  Buffer ln_final_weight, ln_final_bias;
  Buffer text_projection;      // width × embed_dim
  kernels::Linear projection;  // packed text_projection
};

struct ClipWeights {
  ModelConfig config;
  VisionWeights vision;
  TextWeights text;
  float logit_scale = 1.0f;  // exp(stored)
  int64_t parameters = 0;
  kernels::Precision precision = kernels::Precision::fp32;
  size_t weight_bytes = 0;  // resident weights after packing
};

// The canonical names and shapes a CLIP ViT with `config` has, in a stable order.
std::vector<std::pair<std::string, std::vector<int64_t>>> expected_tensors(const ModelConfig& config);

// Throws Error naming `ckpt.path` (see header comment). Consumes the tensors.
ClipWeights weights_from_checkpoint(io::Checkpoint&& ckpt);

// The vision tower alone (Chinese-CLIP pairs OpenAI's ViT with a BERT text tower):
//  - add_vision_tensors appends the visual.* names and shapes of expected_tensors;
//  - infer_vision_config sets image_resolution and vision_{width,patch_size,layers,heads}
//    from the visual.* shapes (heads = width / 64 unless the config states them);
//    Error as weights_from_checkpoint (ResNet towers are unsupported);
//  - take_vision moves the checked visual.* tensors out of `ckpt`;
//  - pack_vision packs them (conv1 and proj fp32, blocks in `precision`) and returns the
//    resident bytes.
void add_vision_tensors(std::vector<std::pair<std::string, std::vector<int64_t>>>& out, const ModelConfig& config);
void infer_vision_config(const io::Checkpoint& ckpt, ModelConfig& config);
VisionWeights take_vision(io::Checkpoint& ckpt, const ModelConfig& config);
size_t pack_vision(VisionWeights& vision, const ModelConfig& config, kernels::Precision precision);

// The text tower alone (the ResNet CLIPs pair it with a ResNet image tower):
//  - infer_text_config sets embed_dim, context_length, vocab_size, text_{width,layers,heads}
//    and the activation the checkpoint names, from the text tensors' shapes;
//  - add_text_tensors appends the text tower's names and shapes (not logit_scale);
//  - take_text moves them out of `ckpt`; pack_text packs them (blocks in `precision`,
//    text_projection fp32) and returns the resident bytes.
void infer_text_config(const io::Checkpoint& ckpt, ModelConfig& config);
void add_text_tensors(std::vector<std::pair<std::string, std::vector<int64_t>>>& out, const ModelConfig& config);
TextWeights take_text(io::Checkpoint& ckpt, const ModelConfig& config);
size_t pack_text(TextWeights& text, const ModelConfig& config, kernels::Precision precision);

// Packs every GEMM's weights for `precision` and frees the unpacked copies. The
// transformer blocks run in `precision`; the patch embedding and the two output
// projections stay fp32 (about 1% of the work, and the most sensitive to rounding).
void pack_weights(ClipWeights& weights, kernels::Precision precision);

// Packs one block's four GEMMs (MLP width = c_fc_bias.size()) and frees the buffers.
void pack_block(BlockWeights& block, size_t width, kernels::Precision precision);
// Resident bytes of a packed block.
size_t block_bytes(const BlockWeights& block);

// Random weights of the right shapes (normal, seeded), for benchmarks and tests.
ClipWeights random_weights(const ModelConfig& config, uint64_t seed);

}  // namespace clipkit::model
