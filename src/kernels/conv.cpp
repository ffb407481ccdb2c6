#include "kernels/conv.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "clipkit/error.hpp"
#include "core/parallel.hpp"
#include "kernels/dnnl_engine.hpp"

namespace clipkit::kernels {

namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

memory::dim dim(size_t x) { return static_cast<memory::dim>(x); }

memory::dims nhwc_dims(size_t n, size_t c, size_t h, size_t w) { return {dim(n), dim(c), dim(h), dim(w)}; }

}  // namespace

struct Conv2d::Impl {
  ConvShape shape;
  Precision precision = Precision::fp32;
  memory::desc packed_desc;
  memory packed;
  memory bias;  // {out} f32
  size_t bytes = 0;

  struct Cached {
    dnnl::convolution_forward conv;
    size_t scratch_bytes = 0;
    std::optional<memory> weights;  // this shape wants another layout than packed
  };
  // (count, height, width, accumulate, relu)
  using Key = std::tuple<size_t, size_t, size_t, bool, bool>;
  mutable std::mutex mutex;
  mutable std::map<Key, Cached> cache;

  dt compute_type() const { return precision == Precision::fp32 ? dt::f32 : dt::bf16; }

  dnnl::convolution_forward::primitive_desc make_pd(size_t n, size_t h, size_t w, const ConvEpilogue& e,
                                                    const memory::desc& weights) const {
    const size_t oh = shape.output_size(h), ow = shape.output_size(w);
    memory::desc src(nhwc_dims(n, shape.in, h, w), compute_type(), tag::nhwc);
    memory::desc dst(nhwc_dims(n, shape.out, oh, ow), dt::f32, tag::nhwc);
    memory::desc bias_desc({dim(shape.out)}, dt::f32, tag::a);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops ops;
    if (e.accumulate) ops.append_sum(1.0f);
    if (e.relu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
    const memory::dims strides = {dim(shape.stride), dim(shape.stride)};
    const memory::dims padding = {dim(shape.padding), dim(shape.padding)};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                         weights, bias_desc, dst, strides, padding, padding);
    return dnnl::convolution_forward::primitive_desc(desc, attr, dnnl_engine());
  }

  memory::desc any_weights() const {
    return memory::desc({dim(shape.out), dim(shape.in), dim(shape.kernel), dim(shape.kernel)}, compute_type(),
                        tag::any);
  }

  const Cached& primitive(size_t n, size_t h, size_t w, const ConvEpilogue& e) const {
    const Key key{n, h, w, e.accumulate, e.relu};
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto pd = make_pd(n, h, w, e, any_weights());
    Cached cached{dnnl::convolution_forward(pd), pd.scratchpad_desc().get_size(), std::nullopt};
    if (pd.weights_desc() != packed_desc) {
      // Another layout for this shape: reorder the packed weights once.
      memory weights(pd.weights_desc(), dnnl_engine());
      dnnl::stream stream(dnnl_engine());
      dnnl::reorder(packed, weights).execute(stream, const_cast<memory&>(packed), weights);
      stream.wait();
      cached.weights = std::move(weights);
    }
    return cache.emplace(key, std::move(cached)).first->second;
  }
};

Conv2d::Conv2d(const float* w, const float* bias, const ConvShape& shape, Precision precision, size_t typical_height,
               size_t typical_width) {
  auto impl = std::make_shared<Impl>();
  impl->shape = shape;
  // int8 convolutions would need calibrated activation scales; callers pass fp32 or bf16.
  impl->precision = precision == Precision::fp32 ? Precision::fp32 : Precision::bf16;
  const memory::dims weight_dims = {dim(shape.out), dim(shape.in), dim(shape.kernel), dim(shape.kernel)};
  try {
    auto pd = impl->make_pd(1, typical_height, typical_width, {}, impl->any_weights());
    impl->packed_desc = pd.weights_desc();
    impl->packed = memory(impl->packed_desc, dnnl_engine());
    dnnl::stream stream(dnnl_engine());
    memory user(memory::desc(weight_dims, dt::f32, tag::oihw), dnnl_engine(), const_cast<float*>(w));
    dnnl::reorder(user, impl->packed).execute(stream, user, impl->packed);
    impl->bias = memory(memory::desc({dim(shape.out)}, dt::f32, tag::a), dnnl_engine());
    float* b = static_cast<float*>(impl->bias.get_data_handle());
    for (size_t o = 0; o < shape.out; ++o) b[o] = bias ? bias[o] : 0.0f;
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::internal, std::string("oneDNN cannot build a ") + to_string(impl->precision) + " " +
                                         std::to_string(shape.kernel) + "×" + std::to_string(shape.kernel) + " " +
                                         std::to_string(shape.in) + "→" + std::to_string(shape.out) +
                                         " convolution: " + e.what());
  }
  impl->bytes = impl->packed_desc.get_size() + shape.out * sizeof(float);
  impl_ = std::move(impl);
}

const ConvShape& Conv2d::shape() const { return impl_->shape; }
Precision Conv2d::precision() const { return impl_->precision; }
size_t Conv2d::weight_bytes() const { return impl_ ? impl_->bytes : 0; }

void Conv2d::forward(const float* x, size_t count, size_t height, size_t width, float* y,
                     const ConvEpilogue& e) const {
  if (count == 0) return;
  const Impl& m = *impl_;
  const ConvShape& s = m.shape;
  if (height + 2 * s.padding < s.kernel || width + 2 * s.padding < s.kernel)
    throw Error(ErrorCode::invalid_argument, "convolution input " + std::to_string(height) + "×" +
                                                 std::to_string(width) + " is smaller than its " +
                                                 std::to_string(s.kernel) + "×" + std::to_string(s.kernel) + " kernel");
  const size_t oh = s.output_size(height), ow = s.output_size(width);
  try {
    const auto& cached = m.primitive(count, height, width, e);
    dnnl::stream stream(dnnl_engine());
    memory scratch_mem(memory::desc({dim(std::max<size_t>(cached.scratch_bytes, 1))}, dt::u8, tag::a), dnnl_engine(),
                       thread_scratchpad(cached.scratch_bytes));
    memory src_f32(memory::desc(nhwc_dims(count, s.in, height, width), dt::f32, tag::nhwc), dnnl_engine(),
                   const_cast<float*>(x));
    memory dst(memory::desc(nhwc_dims(count, s.out, oh, ow), dt::f32, tag::nhwc), dnnl_engine(), y);
    std::vector<uint16_t> converted;
    memory src = src_f32;
    if (m.precision == Precision::bf16) {
      converted.resize(count * height * width * s.in);
      src = memory(memory::desc(nhwc_dims(count, s.in, height, width), dt::bf16, tag::nhwc), dnnl_engine(),
                   converted.data());
      dnnl::reorder(src_f32, src).execute(stream, src_f32, src);
    }
    const memory& weights = cached.weights ? *cached.weights : m.packed;
    cached.conv.execute(stream, {{DNNL_ARG_SRC, src},
                                 {DNNL_ARG_WEIGHTS, weights},
                                 {DNNL_ARG_BIAS, m.bias},
                                 {DNNL_ARG_DST, dst},
                                 {DNNL_ARG_SCRATCHPAD, scratch_mem}});
    stream.wait();
  } catch (const dnnl::error& err) {
    throw Error(ErrorCode::internal, std::string("oneDNN convolution failed: ") + err.what());
  }
}

void avg_pool(const float* x, size_t count, size_t height, size_t width, size_t channels, size_t factor, float* y) {
  const size_t oh = height / factor, ow = width / factor;
  const float inv = 1.0f / static_cast<float>(factor * factor);
  core::parallel_for(count * oh, [&](size_t begin, size_t end) {
    std::vector<float> sum(channels);
    for (size_t row = begin; row < end; ++row) {
      const size_t n = row / oh, i = row % oh;
      for (size_t j = 0; j < ow; ++j) {
        std::fill(sum.begin(), sum.end(), 0.0f);
        for (size_t di = 0; di < factor; ++di)
          for (size_t dj = 0; dj < factor; ++dj) {
            const float* p = x + ((n * height + i * factor + di) * width + j * factor + dj) * channels;
            for (size_t c = 0; c < channels; ++c) sum[c] += p[c];
          }
        float* out = y + ((n * oh + i) * ow + j) * channels;
        for (size_t c = 0; c < channels; ++c) out[c] = sum[c] * inv;
      }
    }
  });
}

}  // namespace clipkit::kernels
