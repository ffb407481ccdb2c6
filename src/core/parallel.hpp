// core/parallel.hpp — the one worker pool: OpenMP's, which oneDNN's kernels use too,
// so the GEMMs and the work between them share threads instead of competing.
//
//   core::parallel_for(n, [&](size_t begin, size_t end) { ... });
//
// Splits [0, n) into one contiguous chunk per thread and returns when all are done;
// the first exception thrown by a chunk is rethrown in the caller. Thread count:
// set_threads (process-wide). Calls from several threads at once each get a team.
#pragma once

#include <cstddef>
#include <functional>

namespace clipkit::core {

void parallel_for(size_t n, const std::function<void(size_t begin, size_t end)>& body);
void set_threads(int threads);  // 0 leaves it unchanged
int max_threads();

}  // namespace clipkit::core
