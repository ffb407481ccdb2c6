#include "model/transformer.hpp"

#include "core/parallel.hpp"
#include "kernels/attention.hpp"

namespace clipkit::model {

kernels::Activation kernel_activation(Activation a) {
  switch (a) {
    case Activation::gelu: return kernels::Activation::gelu;
    case Activation::gelu_tanh: return kernels::Activation::gelu_tanh;
    case Activation::quick_gelu: break;
  }
  return kernels::Activation::quick_gelu;
}

void parallel_layer_norm(const float* x, size_t rows, size_t width, const float* gamma,
                         const float* beta, float* y, float eps) {
  core::parallel_for(rows, [&](size_t b, size_t e) {
    kernels::layer_norm(x + b * width, e - b, width, gamma, beta, y + b * width, eps);
  });
}

void run_transformer(std::vector<float>& x, size_t width, size_t heads,
                     const std::vector<BlockWeights>& blocks, const std::vector<Segment>& segments,
                     bool causal, kernels::Activation activation, float eps) {
  const size_t rows = x.size() / width;
  size_t mlp_width = 0;
  for (const BlockWeights& b : blocks) mlp_width = std::max(mlp_width, b.c_fc.out());
  std::vector<float> h(rows * width), qkv(rows * 3 * width), attn(rows * width), mlp(rows * mlp_width);
  const size_t head_dim = width / heads;
  size_t max_len = 0;
  for (const auto& s : segments) max_len = std::max(max_len, s.length);

  for (const BlockWeights& b : blocks) {
    // x = x + out_proj(attention(ln_1(x)))
    parallel_layer_norm(x.data(), rows, width, b.ln_1_weight.data(), b.ln_1_bias.data(), h.data(), eps);
    b.in_proj.forward(h.data(), rows, qkv.data());
    const size_t tasks = segments.size() * heads;
    core::parallel_for(tasks, [&](size_t begin, size_t end) {
      std::vector<float> scratch(kernels::attention_scratch_floats(max_len, head_dim));
      for (size_t t = begin; t < end; ++t) {
        const Segment& s = segments[t / heads];
        kernels::attention_head(qkv.data() + s.offset * 3 * width, s.length, width, t % heads, head_dim, causal,
                                attn.data() + s.offset * width, scratch.data());
      }
    });
    b.out_proj.forward(attn.data(), rows, x.data(), kernels::Epilogue::residual());

    // x = x + c_proj(act(c_fc(ln_2(x))))
    parallel_layer_norm(x.data(), rows, width, b.ln_2_weight.data(), b.ln_2_bias.data(), h.data(), eps);
    b.c_fc.forward(h.data(), rows, mlp.data(), kernels::Epilogue::activated(activation));
    b.c_proj.forward(mlp.data(), rows, x.data(), kernels::Epilogue::residual());
  }
}

}  // namespace clipkit::model
