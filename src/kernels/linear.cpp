#include "kernels/linear.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/dnnl_engine.hpp"

namespace clipkit::kernels {

namespace {

using dnnl::memory;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// An activation as oneDNN's eltwise algorithm and alpha. QuickGELU x·σ(1.702x) is
// oneDNN's swish with alpha 1.702.
std::pair<dnnl::algorithm, float> eltwise_of(Activation a) {
  switch (a) {
    case Activation::gelu: return {dnnl::algorithm::eltwise_gelu_erf, 0.0f};
    case Activation::gelu_tanh: return {dnnl::algorithm::eltwise_gelu_tanh, 0.0f};
    case Activation::quick_gelu: break;
  }
  return {dnnl::algorithm::eltwise_swish, 1.702f};
}

dnnl::engine& engine() { return dnnl_engine(); }

dt compute_type(Precision p) {
  switch (p) {
    case Precision::fp32: return dt::f32;
    case Precision::bf16: return dt::bf16;
    case Precision::int8: return dt::s8;
  }
  return dt::f32;
}

memory::dims dims2(size_t a, size_t b) { return {static_cast<memory::dim>(a), static_cast<memory::dim>(b)}; }

// The int8 epilogue runs in our code: y = acc·sx[row]·sw[col] + b, activation, residual.
__attribute__((target_clones("avx512f", "avx2", "default")))
void dequantize_rows(const int32_t* acc, size_t rows, size_t cols, const float* row_scale, const float* col_scale,
                     const float* bias, float* y, bool accumulate) {
  for (size_t r = 0; r < rows; ++r) {
    const int32_t* a = acc + r * cols;
    float* out = y + r * cols;
    const float s = row_scale[r];
    if (accumulate) {
      for (size_t c = 0; c < cols; ++c) out[c] += static_cast<float>(a[c]) * s * col_scale[c] + bias[c];
    } else {
      for (size_t c = 0; c < cols; ++c) out[c] = static_cast<float>(a[c]) * s * col_scale[c] + bias[c];
    }
  }
}

// Symmetric per-row quantization of activations to int8.
__attribute__((target_clones("avx512f", "avx2", "default")))
void quantize_rows(const float* x, size_t rows, size_t cols, int8_t* q, float* scales) {
  for (size_t r = 0; r < rows; ++r) {
    const float* in = x + r * cols;
    float max = 0;
    for (size_t c = 0; c < cols; ++c) max = std::max(max, std::fabs(in[c]));
    const float scale = max > 0 ? max / 127.0f : 1.0f;
    const float inv = 1.0f / scale;
    for (size_t c = 0; c < cols; ++c) q[r * cols + c] = static_cast<int8_t>(std::nearbyint(in[c] * inv));
    scales[r] = scale;
  }
}

}  // namespace

const char* to_string(Precision precision) {
  switch (precision) {
    case Precision::fp32: return "fp32";
    case Precision::bf16: return "bf16";
    case Precision::int8: return "int8";
  }
  return "?";
}

struct Linear::Impl {
  size_t in = 0, out = 0;
  Precision precision = Precision::fp32;
  memory::desc packed_desc;
  memory packed;
  memory bias;                      // {1, out} f32
  std::vector<float> bias_values;   // int8 epilogue
  std::vector<float> weight_scales; // int8: per output channel
  size_t bytes = 0;

  struct Cached {
    dnnl::matmul matmul;
    size_t scratch_bytes;
  };
  mutable std::mutex mutex;
  mutable std::map<std::tuple<size_t, bool, int>, Cached> cache;  // (rows, accumulate, activation)
  mutable std::map<size_t, dnnl::reorder> to_bf16;
  mutable std::map<std::pair<size_t, int>, dnnl::eltwise_forward> activations;  // int8 epilogue

  // The activation as oneDNN's vectorized eltwise (the int8 path applies it itself).
  const dnnl::eltwise_forward& activation(size_t rows, Activation a) const {
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_pair(rows, static_cast<int>(a));
    auto it = activations.find(key);
    if (it == activations.end()) {
      memory::desc d(dims2(rows, out), dt::f32, tag::ab);
      const auto [algorithm, alpha] = eltwise_of(a);
      dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, algorithm, d, alpha, 0.0f);
      it = activations.emplace(key, dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(desc, engine()))).first;
    }
    return it->second;
  }

  dnnl::matmul::primitive_desc make_pd(size_t rows, const Epilogue& e, const memory::desc& weights) const {
    const dt src_type = compute_type(precision);
    const dt dst_type = precision == Precision::int8 ? dt::s32 : dt::f32;
    memory::desc src(dims2(rows, in), src_type, tag::ab);
    memory::desc dst(dims2(rows, out), dst_type, tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (precision != Precision::int8) {
      dnnl::post_ops ops;
      if (e.activation) {
        const auto [algorithm, alpha] = eltwise_of(*e.activation);
        ops.append_eltwise(1.0f, algorithm, alpha, 0.0f);
      }
      if (e.accumulate) ops.append_sum(1.0f);
      attr.set_post_ops(ops);
      memory::desc bias_desc(dims2(1, out), dt::f32, tag::ab);
      return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, bias_desc, dst), attr, engine());
    }
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, engine());
  }

  const Cached& primitive(size_t rows, const Epilogue& e) const {
    const int act = e.activation ? static_cast<int>(*e.activation) + 1 : 0;
    // int8 applies its epilogue itself: one primitive per row count.
    const auto key = precision == Precision::int8 ? std::make_tuple(rows, false, 0) : std::make_tuple(rows, e.accumulate, act);
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it == cache.end()) {
      auto pd = make_pd(rows, e, packed_desc);
      it = cache.emplace(key, Cached{dnnl::matmul(pd), pd.scratchpad_desc().get_size()}).first;
    }
    return it->second;
  }

  const dnnl::reorder& bf16_reorder(size_t rows) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = to_bf16.find(rows);
    if (it == to_bf16.end()) {
      memory::desc f32(dims2(rows, in), dt::f32, tag::ab), bf16(dims2(rows, in), dt::bf16, tag::ab);
      it = to_bf16.emplace(rows, dnnl::reorder(dnnl::reorder::primitive_desc(engine(), f32, engine(), bf16))).first;
    }
    return it->second;
  }
};

Linear::Linear(const float* w, size_t in, size_t out, const float* bias, Precision precision, bool w_in_by_out) {
  auto impl = std::make_shared<Impl>();
  impl->in = in;
  impl->out = out;
  impl->precision = precision;
  const tag user_tag = w_in_by_out ? tag::ab : tag::ba;  // logical dims are {in, out}
  try {
    // Let the kernel pick its weight layout (for a typical row count), then pack once.
    memory::desc any(dims2(in, out), compute_type(precision), tag::any);
    auto pd = impl->make_pd(64, {}, any);
    impl->packed_desc = pd.weights_desc();
    impl->packed = memory(impl->packed_desc, engine());
    dnnl::stream stream(engine());
    if (precision == Precision::int8) {
      // Per output channel scale; quantize into a plain s8 copy, then pack.
      impl->weight_scales.assign(out, 0.0f);
      auto at = [&](size_t i, size_t o) { return w_in_by_out ? w[i * out + o] : w[o * in + i]; };
      std::vector<int8_t> q(in * out);
      for (size_t o = 0; o < out; ++o) {
        float max = 0;
        for (size_t i = 0; i < in; ++i) max = std::max(max, std::fabs(at(i, o)));
        const float scale = max > 0 ? max / 127.0f : 1.0f;
        impl->weight_scales[o] = scale;
        for (size_t i = 0; i < in; ++i) {
          const int8_t v = static_cast<int8_t>(std::nearbyint(at(i, o) / scale));
          if (w_in_by_out) q[i * out + o] = v; else q[o * in + i] = v;
        }
      }
      memory user(memory::desc(dims2(in, out), dt::s8, user_tag), engine(), q.data());
      dnnl::reorder(user, impl->packed).execute(stream, user, impl->packed);
      impl->bias_values.assign(out, 0.0f);
      if (bias) std::copy(bias, bias + out, impl->bias_values.begin());
    } else {
      memory user(memory::desc(dims2(in, out), dt::f32, user_tag), engine(), const_cast<float*>(w));
      dnnl::reorder(user, impl->packed).execute(stream, user, impl->packed);
      impl->bias = memory(memory::desc(dims2(1, out), dt::f32, tag::ab), engine());
      float* b = static_cast<float*>(impl->bias.get_data_handle());
      for (size_t o = 0; o < out; ++o) b[o] = bias ? bias[o] : 0.0f;
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::internal, std::string("oneDNN cannot build a ") + to_string(precision) + " " +
                                         std::to_string(in) + "→" + std::to_string(out) + " linear layer: " + e.what());
  }
  impl->bytes = impl->packed_desc.get_size() + impl->weight_scales.size() * sizeof(float);
  impl_ = std::move(impl);
}

size_t Linear::in() const { return impl_->in; }
size_t Linear::out() const { return impl_->out; }
size_t Linear::weight_bytes() const { return impl_ ? impl_->bytes : 0; }

void Linear::forward(const float* x, size_t rows, float* y, const Epilogue& e) const {
  if (rows == 0) return;
  const Impl& m = *impl_;
  const auto& cached = m.primitive(rows, e);
  dnnl::stream stream(engine());
  memory scratch_mem(memory::desc(dims2(1, std::max<size_t>(cached.scratch_bytes, 1)), dt::u8, tag::ab), engine(),
                     thread_scratchpad(cached.scratch_bytes));
  memory::desc dst_f32(dims2(rows, m.out), dt::f32, tag::ab);
  try {
    if (m.precision == Precision::fp32) {
      memory src(memory::desc(dims2(rows, m.in), dt::f32, tag::ab), engine(), const_cast<float*>(x));
      memory dst(dst_f32, engine(), y);
      cached.matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, m.packed}, {DNNL_ARG_BIAS, m.bias},
                                     {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch_mem}});
    } else if (m.precision == Precision::bf16) {
      memory src_f32(memory::desc(dims2(rows, m.in), dt::f32, tag::ab), engine(), const_cast<float*>(x));
      std::vector<uint16_t> converted(rows * m.in);
      memory src(memory::desc(dims2(rows, m.in), dt::bf16, tag::ab), engine(), converted.data());
      m.bf16_reorder(rows).execute(stream, src_f32, src);
      memory dst(dst_f32, engine(), y);
      cached.matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, m.packed}, {DNNL_ARG_BIAS, m.bias},
                                     {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, scratch_mem}});
    } else {
      std::vector<int8_t> q(rows * m.in);
      std::vector<float> row_scales(rows);
      core::parallel_for(rows, [&](size_t b, size_t e2) {
        quantize_rows(x + b * m.in, e2 - b, m.in, q.data() + b * m.in, row_scales.data() + b);
      });
      std::vector<int32_t> acc(rows * m.out);
      memory src(memory::desc(dims2(rows, m.in), dt::s8, tag::ab), engine(), q.data());
      memory dst(memory::desc(dims2(rows, m.out), dt::s32, tag::ab), engine(), acc.data());
      cached.matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, m.packed}, {DNNL_ARG_DST, dst},
                                     {DNNL_ARG_SCRATCHPAD, scratch_mem}});
      stream.wait();
      core::parallel_for(rows, [&](size_t b, size_t e2) {
        dequantize_rows(acc.data() + b * m.out, e2 - b, m.out, row_scales.data() + b, m.weight_scales.data(),
                        m.bias_values.data(), y + b * m.out, e.accumulate);
      });
      if (e.activation) {
        memory io(dst_f32, engine(), y);
        m.activation(rows, *e.activation).execute(stream, {{DNNL_ARG_SRC, io}, {DNNL_ARG_DST, io}});
      }
    }
    stream.wait();
  } catch (const dnnl::error& err) {
    throw Error(ErrorCode::internal, std::string("oneDNN linear layer failed: ") + err.what());
  }
}

const char* compute_isa() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::sse41: return "sse41";
    default: return "other";
  }
}

}  // namespace clipkit::kernels
