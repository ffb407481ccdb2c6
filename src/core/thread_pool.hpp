// core/thread_pool.hpp — a fixed set of worker threads and a blocking parallel_for.
//
//   ThreadPool pool(2);
//   pool.parallel_for(n, [&](size_t begin, size_t end) { ... });
//
// parallel_for splits [0, n) into at most size() contiguous chunks and runs them on
// the workers and the calling thread; it returns when all are done and rethrows the
// first exception. Several threads may call parallel_for on one pool at once (calls
// are serialised); a call made from inside a task runs inline.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clipkit::core {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);  // 0 = hardware concurrency
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }
  void parallel_for(size_t n, const std::function<void(size_t begin, size_t end)>& body);

 private:
  void worker_loop(size_t index);

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t, size_t)>* body_ = nullptr;
  size_t n_ = 0;
  size_t chunks_ = 0;
  size_t generation_ = 0;
  size_t pending_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace clipkit::core
