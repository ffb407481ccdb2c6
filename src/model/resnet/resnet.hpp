// model/resnet/resnet.hpp — OpenAI's ResNet CLIPs (RN50, RN101, RN50x4, RN50x16, RN50x64;
// clip/model.py ModifiedResNet + AttentionPool2d, open_clip's modified_resnet.py) with
// OpenAI's text tower, from the same files as the ViTs (OpenAI's TorchScript `.pt`, a
// state dict, an open_clip folder).
//
//   if (resnet::has_resnet_tower(ckpt.tensors)) return resnet::load(std::move(ckpt), options, info);
//
// The image tower:
//  - stem: three 3×3 convolutions (the first with stride 2), each BatchNorm + ReLU, then
//    AvgPool 2;
//  - four stages of bottlenecks (1×1, 3×3, AvgPool(stride), 1×1 ×4; the shortcut is
//    AvgPool(stride) → 1×1 convolution → BatchNorm where the shape changes), strides
//    1, 2, 2, 2;
//  - AttentionPool2d: the spatial mean prepended to the flattened grid, plus a positional
//    embedding, one multi-head attention of the mean over all positions, c_proj.
// Everything is inferred from tensor shapes as OpenAI's build_model does: blocks per
// stage from the keys, width from conv1, heads = width·32 / 64, image size =
// 32·sqrt(rows of attnpool.positional_embedding − 1).
//
// Two forms of the weights: Params, the checkpoint's tensors as they are (BatchNorm
// separate), which encode_images_reference runs with the plain kernels (the tests'
// twin); and Tower, each BatchNorm folded into its convolution in fp32 at load and
// packed for oneDNN, which the model runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "clipkit/model.hpp"
#include "io/checkpoint.hpp"
#include "kernels/conv.hpp"
#include "kernels/linear.hpp"
#include "model/network.hpp"
#include "model/tensor_checks.hpp"

namespace clipkit::model::resnet {

// True when the checkpoint's image tower is a ResNet (visual.layer1… / visual.attnpool…).
bool has_resnet_tower(const Tensors& tensors);

struct BatchNorm {
  Buffer weight, bias, running_mean, running_var;  // eps 1e-5 (torch's default)
};

// A convolution without bias followed by its BatchNorm.
struct ConvBn {
  kernels::ConvShape shape;
  Buffer weight;  // out × in × k × k
  BatchNorm bn;
};

struct BottleneckParams {
  ConvBn conv1, conv2, conv3;
  std::optional<ConvBn> downsample;  // after AvgPool(stride)
  size_t stride = 1;
};

struct AttentionPoolParams {
  Buffer positional_embedding;  // (grid² + 1) × dim
  Buffer q_weight, q_bias, k_weight, k_bias, v_weight, v_bias;  // dim × dim, dim
  Buffer c_weight, c_bias;                                      // embed × dim, embed
};

struct Params {
  ConvBn stem[3];
  std::vector<BottleneckParams> blocks;  // all stages in order
  AttentionPoolParams pool;
};

struct Bottleneck {
  kernels::Conv2d conv1, conv2, conv3, downsample;  // downsample empty when absent
  size_t stride = 1;
};

// Activation buffers kept between calls (a fresh 25 MB buffer faults in every page);
// one set per concurrent caller, freed with the Tower.
struct Workspaces;

struct Tower {
  kernels::Conv2d stem[3];
  std::vector<Bottleneck> blocks;
  Buffer positional_embedding;
  kernels::Linear q, kv, c_proj;  // kv: k and v stacked, dim → 2·dim
  std::shared_ptr<Workspaces> workspaces;
};

// Sets image_resolution, vision_{stages,layers,width,heads} (vision_patch_size 0) from
// the visual.* shapes. Error(not_found / corrupt_data) naming ckpt.path.
void infer_resnet_config(const io::Checkpoint& ckpt, ModelConfig& config);
// The visual.* names and shapes of a ResNet tower with `config`, in a stable order.
void add_resnet_tensors(ShapeList& out, const ModelConfig& config);
// Moves the checked visual.* tensors out of `ckpt`.
Params take_params(io::Checkpoint& ckpt, const ModelConfig& config);
// Folds every BatchNorm into its convolution (in double, stored fp32) and packs the
// convolutions (fp32, or bf16 when `precision` is bf16 or int8) and the attention
// pool's projections (q and k/v in `precision`, c_proj fp32). `bytes` receives the
// resident size.
Tower fold(const Params& params, const ModelConfig& config, kernels::Precision precision, size_t& bytes);

// pixels: count × 3 × R × R (CHW). Returns count × embed_dim (encode_image).
std::vector<float> encode_images(const ModelConfig& config, const Tower& tower, const float* pixels, size_t count);
// The same from the unfolded parameters with kernels/reference.hpp's loops (slow).
std::vector<float> encode_images_reference(const ModelConfig& config, const Params& params, const float* pixels,
                                           size_t count);

// A ResNet CLIP as a clipkit::Model's network (OpenAI's text tower beside the ResNet).
// Fills info's architecture ("RN50" … when recognised, else "ResNet"), parameters and
// weight bytes.
Loaded load(io::Checkpoint&& ckpt, const ModelOptions& options, ModelInfo& info);

}  // namespace clipkit::model::resnet
