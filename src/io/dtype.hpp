// io/dtype.hpp — element types found in checkpoint files and their widening to fp32.
//
//   DType t = DType::f16;
//   std::vector<float> out(n);
//   widen_to_f32(DType::f16, bytes.data(), n, out.data());
//
// All stored data is little-endian (torch and safetensors write it so); readers
// here assume a little-endian host.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clipkit::io {

enum class DType { f32, f16, bf16, f64, i64, i32, i16, i8, u8, boolean };

// Bytes per element.
size_t dtype_size(DType dtype);
// "f32", "f16", "bf16", "f64", "i64", ...: the names Checkpoint::dtype uses.
const char* dtype_name(DType dtype);
bool is_floating(DType dtype);

float f16_to_f32(uint16_t bits);
float bf16_to_f32(uint16_t bits);

// Reads element `index` of a little-endian array of `dtype` starting at `base`
// and converts it to fp32. `base` must hold at least (index+1)*dtype_size bytes.
float load_as_f32(DType dtype, const uint8_t* base, size_t index);

// Converts `count` contiguous elements at `src` to fp32 into `dst`.
void widen_to_f32(DType dtype, const uint8_t* src, size_t count, float* dst);

// a * b, or nullopt when the product does not fit in int64 / is negative input.
std::optional<int64_t> checked_mul(int64_t a, int64_t b);
// The element count of `shape`, or nullopt on a negative extent or overflow.
template <typename Range>
std::optional<int64_t> checked_numel(const Range& shape) {
  int64_t n = 1;
  for (auto d : shape) {
    auto p = checked_mul(n, static_cast<int64_t>(d));
    if (!p) return std::nullopt;
    n = *p;
  }
  return n;
}

std::string shape_string(const auto& shape) {
  std::string s = "[";
  bool first = true;
  for (auto d : shape) {
    if (!first) s += ", ";
    s += std::to_string(d);
    first = false;
  }
  return s + "]";
}

}  // namespace clipkit::io
