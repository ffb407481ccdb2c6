#include "core/thread_pool.hpp"

#include <algorithm>

namespace clipkit::core {

namespace {
thread_local bool tls_inside_task = false;
}

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

static void run_chunk(const std::function<void(size_t, size_t)>& body, size_t n, size_t chunks,
                      size_t index) {
  const size_t begin = n * index / chunks;
  const size_t end = n * (index + 1) / chunks;
  if (begin < end) body(begin, end);
}

void ThreadPool::worker_loop(size_t index) {
  size_t seen = 0;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const auto* body = body_;
    const size_t n = n_, chunks = chunks_;
    lock.unlock();
    std::exception_ptr error;
    if (index < chunks) {
      tls_inside_task = true;
      try {
        run_chunk(*body, n, chunks, index);
      } catch (...) {
        error = std::current_exception();
      }
      tls_inside_task = false;
    }
    lock.lock();
    if (error && !error_) error_ = error;
    if (--pending_ == 0) done_.notify_one();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& body) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || tls_inside_task) {
    body(0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mutex_);
  const size_t chunks = std::min(n, size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    chunks_ = chunks;
    error_ = nullptr;
    pending_ = workers_.size();
    ++generation_;
  }
  wake_.notify_all();
  std::exception_ptr error;
  tls_inside_task = true;
  try {
    run_chunk(body, n, chunks, 0);
  } catch (...) {
    error = std::current_exception();
  }
  tls_inside_task = false;
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return pending_ == 0; });
  if (!error) error = error_;
  body_ = nullptr;
  if (error) std::rethrow_exception(error);
}

}  // namespace clipkit::core
