// kernels/conv.hpp — a 2-D convolution with pre-packed weights on oneDNN, in fp32 or
// bf16, with the bias, a residual add and ReLU fused: what a ResNet's convolution +
// folded BatchNorm (+ shortcut) (+ ReLU) is.
//
//   Conv2d conv(w.data(), bias.data(), {.in = 64, .out = 256, .kernel = 1}, Precision::fp32, 56, 56);
//   conv.forward(x, n, 56, 56, y, ConvEpilogue{.accumulate = true, .relu = true});  // y = relu(y + conv(x) + b)
//
// Activations are NHWC (count × height × width × channels, row-major), weights are
// PyTorch's OIHW (out × in × kernel × kernel). Square kernels, the same stride and
// zero padding on both axes, no dilation or groups (all a CLIP ResNet uses).
// Output size per axis: (in + 2·padding − kernel) / stride + 1.
//  - fp32: exact fp32 convolution (the reference precision).
//  - bf16: weights and activations rounded to bf16, fp32 accumulation and output.
// Weights are packed once at construction into the layout oneDNN's kernel for this CPU
// wants for inputs of typical_height × typical_width; other input sizes work (their
// primitives reorder the weights once and cache them).
// Thread-safety: forward() is const and may run concurrently (primitives are cached
// per input shape under a mutex; scratch memory is per call).
#pragma once

#include <cstddef>
#include <memory>

#include "kernels/linear.hpp"

namespace clipkit::kernels {

struct ConvShape {
  size_t in = 0, out = 0;  // channels
  size_t kernel = 1, stride = 1, padding = 0;

  size_t output_size(size_t input) const { return (input + 2 * padding - kernel) / stride + 1; }
};

// Applied after the bias, in this order: y = relu(y_before + conv(x) + b).
struct ConvEpilogue {
  bool accumulate = false;  // add the convolution to what y holds (a residual)
  bool relu = false;
};

class Conv2d {
 public:
  Conv2d() = default;
  // w: out × in × kernel × kernel (OIHW); bias: `out` floats or null.
  Conv2d(const float* w, const float* bias, const ConvShape& shape, Precision precision, size_t typical_height,
         size_t typical_width);

  // x: count × height × width × in; y: count × oh × ow × out (NHWC, fp32).
  void forward(const float* x, size_t count, size_t height, size_t width, float* y,
               const ConvEpilogue& epilogue = {}) const;

  const ConvShape& shape() const;
  Precision precision() const;
  size_t weight_bytes() const;
  bool empty() const { return !impl_; }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// Average pooling with kernel = stride = `factor`, no padding, the remainder dropped
// (torch.nn.AvgPool2d(factor)). x: count × height × width × channels (NHWC); y:
// count × (height / factor) × (width / factor) × channels. Parallel over rows.
void avg_pool(const float* x, size_t count, size_t height, size_t width, size_t channels, size_t factor, float* y);

}  // namespace clipkit::kernels
