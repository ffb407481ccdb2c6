// The ResNet image tower: BatchNorm folding, the oneDNN forward pass and its plain twin.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/attention.hpp"
#include "kernels/ops.hpp"
#include "kernels/reference.hpp"
#include "model/resnet/resnet.hpp"

namespace clipkit::model::resnet {

struct Workspaces {
  struct Set {
    std::vector<float> x, t1, t2, y;
  };
  std::mutex mutex;
  std::vector<std::unique_ptr<Set>> idle;

  std::unique_ptr<Set> take() {
    std::lock_guard<std::mutex> lock(mutex);
    if (idle.empty()) return std::make_unique<Set>();
    auto set = std::move(idle.back());
    idle.pop_back();
    return set;
  }
  void give_back(std::unique_ptr<Set> set) {
    std::lock_guard<std::mutex> lock(mutex);
    idle.push_back(std::move(set));
  }
};

namespace {

constexpr double kBatchNormEps = 1e-5;  // torch.nn.BatchNorm2d's default

// conv(x)·s + (β − μ·s) with s = γ / sqrt(σ² + eps): BatchNorm after a bias-free
// convolution is the convolution with scaled weights and a bias. In double, from the
// fp32 values (fp16 files were widened when read), so folding adds one fp32 rounding.
kernels::Conv2d fold_conv(const ConvBn& c, kernels::Precision precision, size_t height, size_t width) {
  const size_t out = c.shape.out, per_out = c.shape.in * c.shape.kernel * c.shape.kernel;
  Buffer weight(c.weight.size()), bias(out);
  for (size_t o = 0; o < out; ++o) {
    const double scale = double(c.bn.weight[o]) / std::sqrt(double(c.bn.running_var[o]) + kBatchNormEps);
    for (size_t i = 0; i < per_out; ++i)
      weight[o * per_out + i] = static_cast<float>(double(c.weight[o * per_out + i]) * scale);
    bias[o] = static_cast<float>(double(c.bn.bias[o]) - double(c.bn.running_mean[o]) * scale);
  }
  return kernels::Conv2d(weight.data(), bias.data(), c.shape, precision, height, width);
}

// CHW images → one NHWC batch.
void to_nhwc(const float* pixels, size_t count, size_t res, float* out) {
  const size_t plane = res * res;
  core::parallel_for(count * res, [&](size_t begin, size_t end) {
    for (size_t row = begin; row < end; ++row) {
      const size_t n = row / res, y = row % res;
      const float* image = pixels + n * 3 * plane;
      for (size_t x = 0; x < res; ++x)
        for (size_t c = 0; c < 3; ++c) out[((n * res + y) * res + x) * 3 + c] = image[c * plane + y * res + x];
    }
  });
}

// The attention pool's input rows: per image [mean of the grid, grid…] + positional
// embedding. grid: count × cells × dim (NHWC flattened) → count × (cells + 1) × dim.
std::vector<float> pool_tokens(const float* grid, size_t count, size_t cells, size_t dim, const float* pos) {
  const size_t len = cells + 1;
  std::vector<float> x(count * len * dim);
  core::parallel_for(count, [&](size_t begin, size_t end) {
    for (size_t n = begin; n < end; ++n) {
      const float* g = grid + n * cells * dim;
      float* seq = x.data() + n * len * dim;
      for (size_t i = 0; i < dim; ++i) {
        double sum = 0;
        for (size_t p = 0; p < cells; ++p) sum += g[p * dim + i];
        seq[i] = static_cast<float>(sum / double(cells)) + pos[i];
      }
      for (size_t p = 0; p < cells; ++p)
        for (size_t i = 0; i < dim; ++i) seq[(p + 1) * dim + i] = g[p * dim + i] + pos[(p + 1) * dim + i];
    }
  });
  return x;
}

}  // namespace

Tower fold(const Params& p, const ModelConfig& c, kernels::Precision precision, size_t& bytes) {
  const auto conv_precision = precision == kernels::Precision::fp32 ? kernels::Precision::fp32
                                                                    : kernels::Precision::bf16;
  Tower t;
  t.workspaces = std::make_shared<Workspaces>();
  size_t side = c.image_resolution;
  t.stem[0] = fold_conv(p.stem[0], conv_precision, side, side);
  side = p.stem[0].shape.output_size(side);
  t.stem[1] = fold_conv(p.stem[1], conv_precision, side, side);
  t.stem[2] = fold_conv(p.stem[2], conv_precision, side, side);
  side /= 2;
  bytes = 0;
  for (const auto& s : t.stem) bytes += s.weight_bytes();
  for (const BottleneckParams& b : p.blocks) {
    Bottleneck f;
    f.stride = b.stride;
    f.conv1 = fold_conv(b.conv1, conv_precision, side, side);
    f.conv2 = fold_conv(b.conv2, conv_precision, side, side);
    if (b.downsample) f.downsample = fold_conv(*b.downsample, conv_precision, side / b.stride, side / b.stride);
    side /= b.stride;
    f.conv3 = fold_conv(b.conv3, conv_precision, side, side);
    bytes += f.conv1.weight_bytes() + f.conv2.weight_bytes() + f.conv3.weight_bytes() + f.downsample.weight_bytes();
    t.blocks.push_back(std::move(f));
  }
  const AttentionPoolParams& a = p.pool;
  const size_t dim = a.q_bias.size();
  t.positional_embedding = a.positional_embedding;
  // q and k/v in the model's precision (the k/v weights are 8·width² floats: 32 MB of
  // RN50's); c_proj, the output projection, stays fp32 like every tower's.
  t.q = kernels::Linear(a.q_weight.data(), dim, dim, a.q_bias.data(), precision);
  Buffer kv_weight(a.k_weight), kv_bias(a.k_bias);
  kv_weight.insert(kv_weight.end(), a.v_weight.begin(), a.v_weight.end());
  kv_bias.insert(kv_bias.end(), a.v_bias.begin(), a.v_bias.end());
  t.kv = kernels::Linear(kv_weight.data(), dim, 2 * dim, kv_bias.data(), precision);
  t.c_proj = kernels::Linear(a.c_weight.data(), dim, a.c_bias.size(), a.c_bias.data(), kernels::Precision::fp32);
  bytes += t.q.weight_bytes() + t.kv.weight_bytes() + t.c_proj.weight_bytes() +
           t.positional_embedding.size() * sizeof(float);
  return t;
}

namespace {

// One image through the stem and the four stages; its final grid (cells × width·32,
// NHWC) goes to `grid`.
void run_convolutions(const Tower& t, size_t res, const float* pixels, Workspaces::Set& ws, float* grid) {
  std::vector<float>&x = ws.x, &t1 = ws.t1, &t2 = ws.t2, &y = ws.y;
  auto fit = [](std::vector<float>& v, size_t n) { if (v.size() < n) v.resize(n); };
  fit(x, res * res * 3);
  to_nhwc(pixels, 1, res, x.data());

  // Stem: three convolutions (+ folded BN) + ReLU, then AvgPool 2.
  size_t side = res, channels = 3;
  for (const kernels::Conv2d& conv : t.stem) {
    const size_t next = conv.shape().output_size(side);
    fit(y, next * next * conv.shape().out);
    conv.forward(x.data(), 1, side, side, y.data(), {.accumulate = false, .relu = true});
    side = next;
    channels = conv.shape().out;
    std::swap(x, y);
  }
  fit(y, (side / 2) * (side / 2) * channels);
  kernels::avg_pool(x.data(), 1, side, side, channels, 2, y.data());
  side /= 2;
  std::swap(x, y);

  for (const Bottleneck& b : t.blocks) {
    const size_t mid = b.conv1.shape().out, wide = b.conv3.shape().out, after = side / b.stride;
    fit(t1, side * side * mid);
    b.conv1.forward(x.data(), 1, side, side, t1.data(), {.accumulate = false, .relu = true});
    fit(t2, side * side * mid);
    b.conv2.forward(t1.data(), 1, side, side, t2.data(), {.accumulate = false, .relu = true});
    if (b.stride > 1) {
      kernels::avg_pool(t2.data(), 1, side, side, mid, b.stride, t1.data());
      std::swap(t1, t2);
    }
    // The shortcut into y, then y = relu(y + conv3(t2) + b).
    fit(y, after * after * wide);
    if (b.downsample.empty()) {
      std::copy_n(x.begin(), side * side * channels, y.begin());
    } else if (b.stride > 1) {
      fit(t1, after * after * channels);
      kernels::avg_pool(x.data(), 1, side, side, channels, b.stride, t1.data());
      b.downsample.forward(t1.data(), 1, after, after, y.data());
    } else {
      b.downsample.forward(x.data(), 1, side, side, y.data());
    }
    b.conv3.forward(t2.data(), 1, after, after, y.data(), {.accumulate = true, .relu = true});
    side = after;
    channels = wide;
    std::swap(x, y);
  }
  std::copy_n(x.begin(), side * side * channels, grid);
}

}  // namespace

std::vector<float> encode_images(const ModelConfig& c, const Tower& t, const float* pixels, size_t count) {
  const size_t res = c.image_resolution, dim = size_t(c.vision_width) * 32, embed = c.embed_dim;
  const size_t side = res / 32, cells = side * side, len = cells + 1;
  // The convolutions run one image at a time: a batch gains nothing there (oneDNN's
  // kernels parallelize within an image) and its activations fall out of cache — RN50
  // on 2 threads took 66 ms per image in batches of 8, 55 ms one by one. The attention
  // pool's projections run on the whole call: their weights are read once per call.
  std::vector<float> grids(count * cells * dim);
  std::unique_ptr<Workspaces::Set> set = t.workspaces->take();
  for (size_t n = 0; n < count; ++n)
    run_convolutions(t, res, pixels + n * 3 * res * res, *set, grids.data() + n * cells * dim);
  t.workspaces->give_back(std::move(set));  // not on an exception: that set is dropped

  // Attention pool: the grid's mean attends over [mean, grid…].
  const std::vector<float> tokens = pool_tokens(grids.data(), count, cells, dim, t.positional_embedding.data());
  std::vector<float> first_rows(count * dim), q(count * dim), kv(count * len * 2 * dim), pooled(count * dim);
  for (size_t n = 0; n < count; ++n) std::copy_n(tokens.data() + n * len * dim, dim, first_rows.data() + n * dim);
  t.q.forward(first_rows.data(), count, q.data());
  t.kv.forward(tokens.data(), count * len, kv.data());
  kernels::pool_attention(q.data(), dim, kv.data(), count, len, dim, c.vision_heads, pooled.data());
  std::vector<float> out(count * embed);
  t.c_proj.forward(pooled.data(), count, out.data());
  return out;
}

std::vector<float> encode_images_reference(const ModelConfig& c, const Params& p, const float* pixels,
                                           size_t count) {
  const size_t res = c.image_resolution, dim = size_t(c.vision_width) * 32, embed = c.embed_dim;
  std::vector<float> out(count * embed);
  auto conv_bn = [](const ConvBn& cb, const std::vector<float>& in, size_t side, bool relu) {
    const size_t next = cb.shape.output_size(side);
    std::vector<float> y(next * next * cb.shape.out);
    kernels::conv2d_reference(in.data(), 1, side, side, cb.weight.data(), nullptr, cb.shape, y.data());
    kernels::batch_norm_reference(y.data(), next * next, cb.shape.out, cb.bn.weight.data(), cb.bn.bias.data(),
                                  cb.bn.running_mean.data(), cb.bn.running_var.data());
    if (relu)
      for (float& v : y) v = std::max(v, 0.0f);
    return y;
  };
  auto pool = [](const std::vector<float>& in, size_t side, size_t channels, size_t factor) {
    std::vector<float> y((side / factor) * (side / factor) * channels);
    kernels::avg_pool_reference(in.data(), 1, side, side, channels, factor, y.data());
    return y;
  };
  for (size_t n = 0; n < count; ++n) {
    std::vector<float> x(res * res * 3);
    to_nhwc(pixels + n * 3 * res * res, 1, res, x.data());
    size_t side = res;
    for (const ConvBn& stem : p.stem) {
      x = conv_bn(stem, x, side, true);
      side = stem.shape.output_size(side);
    }
    x = pool(x, side, p.stem[2].shape.out, 2);
    side /= 2;
    for (const BottleneckParams& b : p.blocks) {
      std::vector<float> h = conv_bn(b.conv1, x, side, true);
      h = conv_bn(b.conv2, h, side, true);
      if (b.stride > 1) h = pool(h, side, b.conv2.shape.out, b.stride);
      const size_t after = side / b.stride;
      h = conv_bn(b.conv3, h, after, false);
      std::vector<float> identity = x;
      if (b.downsample) {
        if (b.stride > 1) identity = pool(x, side, b.conv1.shape.in, b.stride);
        identity = conv_bn(*b.downsample, identity, after, false);
      }
      for (size_t i = 0; i < h.size(); ++i) h[i] = std::max(h[i] + identity[i], 0.0f);
      x = std::move(h);
      side = after;
    }
    // AttentionPool2d with every query computed, as the attention twin does; row 0 is
    // the pooled feature.
    const size_t cells = side * side, len = cells + 1;
    const std::vector<float> tokens = pool_tokens(x.data(), 1, cells, dim, p.pool.positional_embedding.data());
    std::vector<float> q(len * dim), k(len * dim), v(len * dim), qkv(len * 3 * dim), attended(len * dim);
    kernels::linear_reference(tokens.data(), len, dim, p.pool.q_weight.data(), dim, p.pool.q_bias.data(), q.data());
    kernels::linear_reference(tokens.data(), len, dim, p.pool.k_weight.data(), dim, p.pool.k_bias.data(), k.data());
    kernels::linear_reference(tokens.data(), len, dim, p.pool.v_weight.data(), dim, p.pool.v_bias.data(), v.data());
    for (size_t r = 0; r < len; ++r) {
      std::copy_n(q.data() + r * dim, dim, qkv.data() + r * 3 * dim);
      std::copy_n(k.data() + r * dim, dim, qkv.data() + r * 3 * dim + dim);
      std::copy_n(v.data() + r * dim, dim, qkv.data() + r * 3 * dim + 2 * dim);
    }
    kernels::attention_reference(qkv.data(), len, dim, c.vision_heads, /*causal=*/false, attended.data());
    kernels::linear_reference(attended.data(), 1, dim, p.pool.c_weight.data(), embed, p.pool.c_bias.data(),
                              out.data() + n * embed);
  }
  return out;
}

}  // namespace clipkit::model::resnet
