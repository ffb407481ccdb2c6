#include "kernels/attention.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/op_check.hpp"
#include "kernels/reference.hpp"

namespace clipkit::kernels {
namespace {

using testing::check_op;
using testing::kTolerance;
using testing::OpOutputs;
using testing::OpShape;
using testing::random_floats;

TEST(Attention, MatchesReferenceWithAndWithoutCausalMask) {
  for (bool causal : {false, true}) {
    check_op(std::string("attention causal=") + (causal ? "1" : "0"),
             {{"len", 1, 80}, {"heads", 1, 4}, {"head_dim", 1, 72}}, kTolerance.attention,
             [&](const OpShape& s, std::mt19937& rng) {
               const size_t len = s["len"], heads = s["heads"], width = heads * s["head_dim"];
               auto qkv = random_floats(len * 3 * width, rng);
               OpOutputs result{std::vector<float>(len * width), std::vector<float>(len * width)};
               attention(qkv.data(), len, width, heads, causal, result.fast.data());
               attention_reference(qkv.data(), len, width, heads, causal, result.reference.data());
               return result;
             });
  }
}

TEST(Attention, TilesMatchReferenceAtVisionSequenceLengths) {
  // The bidirectional path works on tiles of 8 queries × 16 keys / output columns with
  // row and column tails: ViT-B/16's 196 patches (SigLIP) and 197 tokens (CLIP), SO400M's
  // head size 72, and 64 tokens (SigLIP text).
  check_op("attention tiles", {{"len", 64, 197}, {"heads", 1, 2}, {"head_dim", 64, 72}}, kTolerance.attention,
           [&](const OpShape& s, std::mt19937& rng) {
             const size_t len = s["len"], heads = s["heads"], width = heads * s["head_dim"];
             auto qkv = random_floats(len * 3 * width, rng);
             OpOutputs result{std::vector<float>(len * width), std::vector<float>(len * width)};
             attention(qkv.data(), len, width, heads, false, result.fast.data());
             attention_reference(qkv.data(), len, width, heads, false, result.reference.data());
             return result;
           });
}

// The attention pool is row 0 of full attention over [query, keys…] where the query's
// own key and value are the first row: the reference runs on that qkv layout.
TEST(PoolAttention, IsRowZeroOfAttentionWithOwnOrSharedQueries) {
  for (bool shared : {false, true}) {
    check_op(std::string("pool_attention shared=") + (shared ? "1" : "0"),
             {{"count", 1, 4}, {"len", 1, 60}, {"heads", 1, 4}, {"head_dim", 1, 40}}, kTolerance.attention,
             [&](const OpShape& s, std::mt19937& rng) {
               const size_t count = s["count"], len = s["len"], heads = s["heads"], width = heads * s["head_dim"];
               auto q = random_floats((shared ? 1 : count) * width, rng);
               auto kv = random_floats(count * len * 2 * width, rng);
               OpOutputs result{std::vector<float>(count * width), std::vector<float>(count * width)};
               pool_attention(q.data(), shared ? 0 : width, kv.data(), count, len, width, heads, result.fast.data());
               for (size_t n = 0; n < count; ++n) {
                 // Rows: q | k_j | v_j; the query row is row 0, its own k/v are key 0.
                 std::vector<float> qkv(len * 3 * width), out(len * width);
                 for (size_t j = 0; j < len; ++j) {
                   const float* src = kv.data() + (n * len + j) * 2 * width;
                   std::copy_n(q.data() + (shared ? 0 : n * width), width, qkv.data() + j * 3 * width);
                   std::copy_n(src, 2 * width, qkv.data() + j * 3 * width + width);
                 }
                 attention_reference(qkv.data(), len, width, heads, false, out.data());
                 std::copy_n(out.data(), width, result.reference.data() + n * width);
               }
               return result;
             });
  }
}

TEST(Attention, CausalFirstRowIsFirstValue) {
  // With the causal mask, position 0 attends only to itself: output = v[0].
  const size_t len = 3, width = 2;
  std::vector<float> qkv = {1, 2, 3, 4, 5, 6, /*row1*/ 1, 1, 1, 1, 7, 8, /*row2*/ 0, 0, 0, 0, 9, 9};
  std::vector<float> out(len * width);
  attention(qkv.data(), len, width, 1, true, out.data());
  EXPECT_FLOAT_EQ(out[0], 5);
  EXPECT_FLOAT_EQ(out[1], 6);
}

}  // namespace
}  // namespace clipkit::kernels
