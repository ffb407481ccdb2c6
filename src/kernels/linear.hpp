// kernels/linear.hpp — a linear layer with pre-packed weights on oneDNN, in fp32,
// bf16 or int8, with the bias, activation and residual add fused.
//
//   Linear fc(w.data(), /*in=*/768, /*out=*/3072, bias.data(), Precision::bf16);
//   fc.forward(x, rows, y, Epilogue::activated(Activation::quick_gelu));  // y = act(x·wᵀ + b)
//   proj.forward(x, rows, y, Epilogue::residual());                        // y += x·wᵀ + b
//
// Weights are packed once at construction into the layout the CPU's best kernel
// wants (AMX, AVX512-BF16, AVX-512 VNNI, AVX2… chosen at run time by oneDNN); the
// caller's buffer may be freed afterwards.
//  - fp32: exact fp32 GEMM (the reference precision).
//  - bf16: weights and activations rounded to bf16, fp32 accumulation and output.
//  - int8: weights quantized per output channel (symmetric, scale = max|w|/127),
//          activations per row at run time (scale = max|x|/127), int32 accumulation.
// Thread-safety: forward() is const and may run concurrently (primitives are
// cached per row count under a mutex; scratch memory is per call).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "kernels/ops.hpp"

namespace clipkit::kernels {

enum class Precision { fp32, bf16, int8 };
const char* to_string(Precision precision);

struct Epilogue {
  bool accumulate = false;                // y += result instead of y = result
  std::optional<Activation> activation;  // applied after the bias

  static Epilogue residual() { return {true, std::nullopt}; }
  static Epilogue activated(Activation a) { return {false, a}; }
};

class Linear {
 public:
  Linear() = default;
  // w: out × in row-major (PyTorch's Linear layout) or, with w_in_by_out, in × out
  // (OpenAI's `proj` / `text_projection` matrices). bias: `out` floats or null.
  Linear(const float* w, size_t in, size_t out, const float* bias, Precision precision, bool w_in_by_out = false);

  // x: rows × in, y: rows × out (row-major, fp32).
  void forward(const float* x, size_t rows, float* y, const Epilogue& epilogue = {}) const;

  size_t in() const;
  size_t out() const;
  size_t weight_bytes() const;  // packed weights (+ scales)
  bool empty() const { return !impl_; }

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

// The instruction set oneDNN dispatches to on this CPU, e.g. "avx512_core_amx".
const char* compute_isa();

}  // namespace clipkit::kernels
