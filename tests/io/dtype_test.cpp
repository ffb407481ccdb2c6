#include "io/dtype.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace clipkit::io {
namespace {

TEST(DType, HalfToFloat) {
  EXPECT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f16_to_f32(0x8000), -0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
}

TEST(DType, BFloat16ToFloat) {
  EXPECT_EQ(bf16_to_f32(0x3f80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_EQ(bf16_to_f32(0x4093), 4.59375f);
}

TEST(DType, IntegersWiden) {
  const int64_t v[] = {-3, 224};
  EXPECT_EQ(load_as_f32(DType::i64, reinterpret_cast<const uint8_t*>(v), 1), 224.0f);
  EXPECT_EQ(load_as_f32(DType::i64, reinterpret_cast<const uint8_t*>(v), 0), -3.0f);
  EXPECT_EQ(dtype_size(DType::bf16), 2u);
  EXPECT_STREQ(dtype_name(DType::bf16), "bf16");
}

TEST(DType, CheckedProducts) {
  EXPECT_EQ(checked_mul(3, 4), 12);
  EXPECT_FALSE(checked_mul(int64_t{1} << 32, int64_t{1} << 31).has_value());
  EXPECT_FALSE(checked_mul(-1, 4).has_value());
  EXPECT_EQ(checked_numel(std::vector<int64_t>{}), 1);
  EXPECT_EQ(checked_numel(std::vector<int64_t>{2, 0, 5}), 0);
  EXPECT_FALSE(checked_numel(std::vector<int64_t>{1 << 30, 1 << 30, 1 << 30}).has_value());
  EXPECT_EQ(shape_string(std::vector<int64_t>{2, 3}), "[2, 3]");
}

TEST(Dtype, BlockWideningEqualsScalarForEveryHalfValue) {
  // The vectorized (F16C) and tight-loop paths against the scalar reference, for
  // all 65536 bit patterns of f16 and bf16, at an odd offset (unaligned tail).
  for (DType dtype : {DType::f16, DType::bf16}) {
    std::vector<uint8_t> bytes(2 * 65536 + 1);
    for (uint32_t v = 0; v < 65536; ++v) {
      bytes[1 + 2 * v] = static_cast<uint8_t>(v & 0xff);
      bytes[2 + 2 * v] = static_cast<uint8_t>(v >> 8);
    }
    std::vector<float> out(65536);
    widen_to_f32(dtype, bytes.data() + 1, out.size(), out.data());
    for (uint32_t v = 0; v < 65536; ++v) {
      const float want = dtype == DType::f16 ? f16_to_f32(static_cast<uint16_t>(v)) : bf16_to_f32(static_cast<uint16_t>(v));
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(out[v])) << dtype_name(dtype) << " 0x" << std::hex << v;
      } else {
        ASSERT_EQ(std::bit_cast<uint32_t>(out[v]), std::bit_cast<uint32_t>(want)) << dtype_name(dtype) << " 0x" << std::hex << v;
      }
    }
  }
}

}  // namespace
}  // namespace clipkit::io
