#include "model/transformer.hpp"

#include "kernels/attention.hpp"
#include "kernels/gemm.hpp"

namespace clipkit::model {

void parallel_layer_norm(const float* x, size_t rows, size_t width, const float* gamma,
                         const float* beta, float* y, core::ThreadPool& pool) {
  pool.parallel_for(rows, [&](size_t b, size_t e) {
    kernels::layer_norm(x + b * width, e - b, width, gamma, beta, y + b * width);
  });
}

void run_transformer(std::vector<float>& x, size_t width, size_t heads,
                     const std::vector<BlockWeights>& blocks, const std::vector<Segment>& segments,
                     bool causal, kernels::Activation activation, core::ThreadPool& pool) {
  const size_t rows = x.size() / width;
  std::vector<float> h(rows * width), qkv(rows * 3 * width), attn(rows * width), mlp(rows * 4 * width);
  const size_t head_dim = width / heads;
  size_t max_len = 0;
  for (const auto& s : segments) max_len = std::max(max_len, s.length);

  for (const BlockWeights& b : blocks) {
    // x = x + out_proj(attention(ln_1(x)))
    parallel_layer_norm(x.data(), rows, width, b.ln_1_weight.data(), b.ln_1_bias.data(), h.data(), pool);
    kernels::linear(h.data(), rows, width, b.in_proj_weight.data(), 3 * width, b.in_proj_bias.data(), qkv.data());
    const size_t tasks = segments.size() * heads;
    pool.parallel_for(tasks, [&](size_t begin, size_t end) {
      std::vector<float> scratch(max_len);
      for (size_t t = begin; t < end; ++t) {
        const Segment& s = segments[t / heads];
        kernels::attention_head(qkv.data() + s.offset * 3 * width, s.length, width, t % heads, head_dim, causal,
                                attn.data() + s.offset * width, scratch.data());
      }
    });
    kernels::linear(attn.data(), rows, width, b.out_proj_weight.data(), width, b.out_proj_bias.data(), x.data(),
                    /*accumulate=*/true);

    // x = x + c_proj(act(c_fc(ln_2(x))))
    parallel_layer_norm(x.data(), rows, width, b.ln_2_weight.data(), b.ln_2_bias.data(), h.data(), pool);
    kernels::linear(h.data(), rows, width, b.c_fc_weight.data(), 4 * width, b.c_fc_bias.data(), mlp.data());
    pool.parallel_for(rows, [&](size_t begin, size_t end) {
      kernels::activate(mlp.data() + begin * 4 * width, (end - begin) * 4 * width, activation);
    });
    kernels::linear(mlp.data(), rows, 4 * width, b.c_proj_weight.data(), width, b.c_proj_bias.data(), x.data(),
                    /*accumulate=*/true);
  }
}

}  // namespace clipkit::model
