#include "core/parallel.hpp"

#include <atomic>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "clipkit/error.hpp"

namespace clipkit::core {
namespace {

TEST(ParallelFor, CoversEveryIndexExactlyOnce) {
  set_threads(3);
  for (size_t n : {1u, 2u, 3u, 7u, 100u}) {
    std::vector<std::atomic<int>> hits(n);
    parallel_for(n, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) hits[i]++;
    });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
  set_threads(2);
}

TEST(ParallelFor, RethrowsChunkError) {
  set_threads(2);
  EXPECT_THROW(parallel_for(10, [](size_t b, size_t) {
    if (b > 0) throw std::runtime_error("boom");
  }), std::runtime_error);
  std::atomic<size_t> sum = 0;
  parallel_for(10, [&](size_t b, size_t e) { for (size_t i = b; i < e; ++i) sum += i; });
  EXPECT_EQ(sum.load(), 45u);
}

TEST(ParallelFor, NestedCallRunsInline) {
  set_threads(2);
  std::atomic<size_t> count = 0;
  parallel_for(4, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) parallel_for(3, [&](size_t b2, size_t e2) { count += e2 - b2; });
  });
  EXPECT_EQ(count.load(), 12u);
}

TEST(Error, CarriesCodeAndMessage) {
  Error e(ErrorCode::corrupt_data, "x.pt: truncated");
  EXPECT_EQ(e.code(), ErrorCode::corrupt_data);
  EXPECT_STREQ(e.what(), "x.pt: truncated");
  EXPECT_STREQ(to_string(ErrorCode::unsupported), "unsupported");
}

}  // namespace
}  // namespace clipkit::core
