#include "core/parallel.hpp"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

namespace clipkit::core {

void parallel_for(size_t n, const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  const size_t chunks = std::min(n, static_cast<size_t>(std::max(1, omp_get_max_threads())));
  if (chunks == 1 || omp_in_parallel()) {
    body(0, n);
    return;
  }
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel for schedule(static, 1) num_threads(static_cast<int>(chunks))
  for (size_t c = 0; c < chunks; ++c) {
    try {
      body(n * c / chunks, n * (c + 1) / chunks);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

void set_threads(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int max_threads() { return omp_get_max_threads(); }

}  // namespace clipkit::core
