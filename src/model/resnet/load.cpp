// Reading a ResNet image tower: its configuration from tensor shapes, the tensor set it
// must have, and its parameters.
#include <cmath>
#include <string>

#include "clipkit/error.hpp"
#include "model/resnet/resnet.hpp"

namespace clipkit::model::resnet {

namespace {

constexpr int kExpansion = 4;  // a bottleneck's output is 4 × its width

std::string layer_prefix(int stage, int block) {
  return "visual.layer" + std::to_string(stage + 1) + "." + std::to_string(block) + ".";
}

// OpenAI's Bottleneck has a shortcut convolution when the stride or the width changes.
bool has_downsample(int inplanes, int planes, int stride) { return stride > 1 || inplanes != planes * kExpansion; }

void add_conv_bn(ShapeList& out, const std::string& conv, const std::string& bn, int64_t in, int64_t outc,
                 int64_t k) {
  out.push_back({conv + ".weight", {outc, in, k, k}});
  for (const char* p : {".weight", ".bias", ".running_mean", ".running_var"}) out.push_back({bn + p, {outc}});
}

// Walks the bottlenecks as _make_layer builds them: (stage, block, inplanes, planes, stride).
template <class Visit>
void for_each_block(const ModelConfig& c, Visit&& visit) {
  int inplanes = c.vision_width;
  for (int stage = 0; stage < static_cast<int>(c.vision_stages.size()); ++stage) {
    const int planes = c.vision_width << stage;
    for (int b = 0; b < c.vision_stages[stage]; ++b) {
      const int stride = stage > 0 && b == 0 ? 2 : 1;
      visit(stage, b, inplanes, planes, stride);
      inplanes = planes * kExpansion;
    }
  }
}

ConvBn take_conv_bn(io::Checkpoint& ckpt, const std::string& conv, const std::string& bn,
                    const kernels::ConvShape& shape) {
  ConvBn out;
  out.shape = shape;
  out.weight = take(ckpt.tensors, conv + ".weight");
  out.bn.weight = take(ckpt.tensors, bn + ".weight");
  out.bn.bias = take(ckpt.tensors, bn + ".bias");
  out.bn.running_mean = take(ckpt.tensors, bn + ".running_mean");
  out.bn.running_var = take(ckpt.tensors, bn + ".running_var");
  return out;
}

const io::Tensor& require(const io::Checkpoint& ckpt, const std::string& name, size_t rank) {
  return model::require(ckpt.tensors, name, rank, ckpt.path.string());
}

}  // namespace

bool has_resnet_tower(const Tensors& tensors) {
  return tensors.count("visual.layer1.0.conv1.weight") || tensors.count("visual.attnpool.positional_embedding");
}

void infer_resnet_config(const io::Checkpoint& ckpt, ModelConfig& c) {
  const std::string file = ckpt.path.string();
  const auto& conv1 = require(ckpt, "visual.layer1.0.conv1.weight", 4);
  const auto& pos = require(ckpt, "visual.attnpool.positional_embedding", 2);
  c.vision_width = static_cast<int>(conv1.shape[0]);
  c.vision_stages.clear();
  for (int stage = 1; stage <= 4; ++stage) {
    int blocks = 0;
    while (ckpt.tensors.count("visual.layer" + std::to_string(stage) + "." + std::to_string(blocks) + ".conv1.weight"))
      ++blocks;
    if (blocks == 0)
      throw Error(ErrorCode::not_found, file + ": a ResNet image tower without stage " + std::to_string(stage) +
                                            " (expected 'visual.layer" + std::to_string(stage) + ".0.conv1.weight')");
    c.vision_stages.push_back(blocks);
  }
  if (ckpt.tensors.count("visual.layer5.0.conv1.weight"))
    throw Error(ErrorCode::unsupported, file + ": a ResNet image tower with more than 4 stages (visual.layer5…)");
  c.vision_layers = 0;
  for (int blocks : c.vision_stages) c.vision_layers += blocks;
  c.vision_patch_size = 0;
  // build_model: heads = width·32 / 64; the image size from the attention pool's grid.
  const int64_t dim = int64_t{c.vision_width} * 32;
  c.vision_heads = static_cast<int>(dim / 64);
  if (c.vision_width < 2 || c.vision_width % 2 != 0 || c.vision_heads < 1)
    throw Error(ErrorCode::corrupt_data, file + ": visual.layer1.0.conv1.weight has shape " +
                                             shape_string(conv1.shape) +
                                             ": a ResNet's width must be even and at least 2 (its stem is width / 2)");
  if (pos.shape[1] != dim)
    throw Error(ErrorCode::corrupt_data, file + ": visual.attnpool.positional_embedding has shape " +
                                             shape_string(pos.shape) + "; a ResNet of width " +
                                             std::to_string(c.vision_width) + " pools " + std::to_string(dim) +
                                             "-wide features");
  const int grid = static_cast<int>(std::lround(std::sqrt(static_cast<double>(pos.shape[0] - 1))));
  if (pos.shape[0] < 2 || int64_t{grid} * grid + 1 != pos.shape[0])
    throw Error(ErrorCode::corrupt_data, file + ": visual.attnpool.positional_embedding has " +
                                             std::to_string(pos.shape[0]) + " rows, not a square grid + 1");
  c.image_resolution = 32 * grid;
}

void add_resnet_tensors(ShapeList& out, const ModelConfig& c) {
  const int64_t w = c.vision_width, dim = w * 32;
  add_conv_bn(out, "visual.conv1", "visual.bn1", 3, w / 2, 3);
  add_conv_bn(out, "visual.conv2", "visual.bn2", w / 2, w / 2, 3);
  add_conv_bn(out, "visual.conv3", "visual.bn3", w / 2, w, 3);
  for_each_block(c, [&](int stage, int b, int inplanes, int planes, int stride) {
    const std::string p = layer_prefix(stage, b);
    add_conv_bn(out, p + "conv1", p + "bn1", inplanes, planes, 1);
    add_conv_bn(out, p + "conv2", p + "bn2", planes, planes, 3);
    add_conv_bn(out, p + "conv3", p + "bn3", planes, planes * kExpansion, 1);
    if (has_downsample(inplanes, planes, stride))
      add_conv_bn(out, p + "downsample.0", p + "downsample.1", inplanes, planes * kExpansion, 1);
  });
  const int64_t grid = c.image_resolution / 32;
  out.push_back({"visual.attnpool.positional_embedding", {grid * grid + 1, dim}});
  for (const char* proj : {"q_proj", "k_proj", "v_proj"}) {
    out.push_back({std::string("visual.attnpool.") + proj + ".weight", {dim, dim}});
    out.push_back({std::string("visual.attnpool.") + proj + ".bias", {dim}});
  }
  out.push_back({"visual.attnpool.c_proj.weight", {c.embed_dim, dim}});
  out.push_back({"visual.attnpool.c_proj.bias", {c.embed_dim}});
}

Params take_params(io::Checkpoint& ckpt, const ModelConfig& c) {
  Params p;
  const size_t w = c.vision_width;
  p.stem[0] = take_conv_bn(ckpt, "visual.conv1", "visual.bn1", {3, w / 2, 3, 2, 1});
  p.stem[1] = take_conv_bn(ckpt, "visual.conv2", "visual.bn2", {w / 2, w / 2, 3, 1, 1});
  p.stem[2] = take_conv_bn(ckpt, "visual.conv3", "visual.bn3", {w / 2, w, 3, 1, 1});
  for_each_block(c, [&](int stage, int b, int inplanes, int planes, int stride) {
    const std::string prefix = layer_prefix(stage, b);
    const size_t in = static_cast<size_t>(inplanes), mid = static_cast<size_t>(planes), out = mid * kExpansion;
    BottleneckParams block;
    block.stride = static_cast<size_t>(stride);
    block.conv1 = take_conv_bn(ckpt, prefix + "conv1", prefix + "bn1", {in, mid, 1, 1, 0});
    block.conv2 = take_conv_bn(ckpt, prefix + "conv2", prefix + "bn2", {mid, mid, 3, 1, 1});
    block.conv3 = take_conv_bn(ckpt, prefix + "conv3", prefix + "bn3", {mid, out, 1, 1, 0});
    if (has_downsample(inplanes, planes, stride))
      block.downsample = take_conv_bn(ckpt, prefix + "downsample.0", prefix + "downsample.1", {in, out, 1, 1, 0});
    p.blocks.push_back(std::move(block));
  });
  AttentionPoolParams& a = p.pool;
  const std::string pool = "visual.attnpool.";
  a.positional_embedding = take(ckpt.tensors, pool + "positional_embedding");
  a.q_weight = take(ckpt.tensors, pool + "q_proj.weight");
  a.q_bias = take(ckpt.tensors, pool + "q_proj.bias");
  a.k_weight = take(ckpt.tensors, pool + "k_proj.weight");
  a.k_bias = take(ckpt.tensors, pool + "k_proj.bias");
  a.v_weight = take(ckpt.tensors, pool + "v_proj.weight");
  a.v_bias = take(ckpt.tensors, pool + "v_proj.bias");
  a.c_weight = take(ckpt.tensors, pool + "c_proj.weight");
  a.c_bias = take(ckpt.tensors, pool + "c_proj.bias");
  return p;
}

}  // namespace clipkit::model::resnet
