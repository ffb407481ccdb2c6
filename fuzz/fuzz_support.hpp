// fuzz/fuzz_support.hpp — what every libFuzzer target here shares.
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     clipkit::fuzz::run([&] { parse_something(clipkit::fuzz::bytes(data, size)); });
//     return 0;
//   }
//
// A clipkit::Error is the expected answer to hostile bytes, so run() swallows it. Any
// other exception escapes to libFuzzer (reported as a crash), as do sanitizer reports,
// leaks, and a failed FUZZ_CHECK (an invariant of a successful parse).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "clipkit/error.hpp"

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace clipkit::fuzz {

inline std::span<const uint8_t> bytes(const uint8_t* data, size_t size) { return {data, size}; }

template <typename F>
void run(F&& body) {
  try {
    body();
  } catch (const clipkit::Error& e) {
    // Every error must say something (the file, what was expected).
    FUZZ_CHECK(e.what()[0] != '\0');
  }
}

}  // namespace clipkit::fuzz
