#include "io/dtype.hpp"

#include <cpuid.h>
#include <immintrin.h>

#include <bit>
#include <cstring>
#include <limits>

namespace clipkit::io {

static_assert(std::endian::native == std::endian::little,
              "checkpoint readers assume a little-endian host");

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f64: case DType::i64: return 8;
    case DType::f32: case DType::i32: return 4;
    case DType::f16: case DType::bf16: case DType::i16: return 2;
    case DType::i8: case DType::u8: case DType::boolean: return 1;
  }
  return 1;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::f64: return "f64";
    case DType::i64: return "i64";
    case DType::i32: return "i32";
    case DType::i16: return "i16";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::boolean: return "bool";
  }
  return "?";
}

bool is_floating(DType dtype) {
  return dtype == DType::f32 || dtype == DType::f16 || dtype == DType::bf16 ||
         dtype == DType::f64;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {  // inf / nan
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_f32(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

float load_as_f32(DType dtype, const uint8_t* base, size_t index) {
  const uint8_t* p = base + index * dtype_size(dtype);
  switch (dtype) {
    case DType::f32: { float v; std::memcpy(&v, p, 4); return v; }
    case DType::f16: { uint16_t v; std::memcpy(&v, p, 2); return f16_to_f32(v); }
    case DType::bf16: { uint16_t v; std::memcpy(&v, p, 2); return bf16_to_f32(v); }
    case DType::f64: { double v; std::memcpy(&v, p, 8); return static_cast<float>(v); }
    case DType::i64: { int64_t v; std::memcpy(&v, p, 8); return static_cast<float>(v); }
    case DType::i32: { int32_t v; std::memcpy(&v, p, 4); return static_cast<float>(v); }
    case DType::i16: { int16_t v; std::memcpy(&v, p, 2); return static_cast<float>(v); }
    case DType::i8: return static_cast<float>(static_cast<int8_t>(*p));
    case DType::u8: return static_cast<float>(*p);
    case DType::boolean: return *p != 0 ? 1.0f : 0.0f;
  }
  return 0.0f;
}

namespace {

// Half-precision weights are most of what a loader converts (OpenAI's files are
// fp16): convert them in tight loops, with F16C's vcvtph2ps where the CPU has it.
__attribute__((target("avx,f16c"))) void f16_to_f32_f16c(const uint8_t* src, size_t count, float* dst) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m128i half;
    std::memcpy(&half, src + 2 * i, sizeof half);
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(half));
  }
  for (; i < count; ++i) dst[i] = load_as_f32(DType::f16, src, i);
}

// CPUID and XGETBV read directly: clang 14's __builtin_cpu_supports does not know "f16c".
// F16C's instructions are VEX-encoded, so the OS must also save the AVX state.
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    if (!(ecx & bit_F16C) || !(ecx & bit_AVX) || !(ecx & bit_OSXSAVE)) return false;
    uint32_t xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    return (xcr0_lo & 0x6) == 0x6;  // SSE and AVX state enabled
  }();
  return has;
}

void f16_to_f32_portable(const uint8_t* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    uint16_t v;
    std::memcpy(&v, src + 2 * i, 2);
    dst[i] = f16_to_f32(v);
  }
}

void bf16_to_f32_block(const uint8_t* src, size_t count, float* dst) {
  for (size_t i = 0; i < count; ++i) {
    uint16_t v;
    std::memcpy(&v, src + 2 * i, 2);
    dst[i] = bf16_to_f32(v);
  }
}

}  // namespace

void widen_to_f32(DType dtype, const uint8_t* src, size_t count, float* dst) {
  if (count == 0) return;  // empty tensors may have null pointers
  switch (dtype) {
    case DType::f32:
      std::memcpy(dst, src, count * sizeof(float));
      return;
    case DType::f16:
      if (cpu_has_f16c()) {
        f16_to_f32_f16c(src, count, dst);
      } else {
        f16_to_f32_portable(src, count, dst);
      }
      return;
    case DType::bf16:
      bf16_to_f32_block(src, count, dst);
      return;
    default:
      for (size_t i = 0; i < count; ++i) dst[i] = load_as_f32(dtype, src, i);
  }
}

std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  if (a < 0 || b < 0) return std::nullopt;
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace clipkit::io
