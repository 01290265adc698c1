#pragma once
// OffloadPool: a few threads for the blocking work handlers hand off (Context::offload).

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace surge::detail {

/// A bounded queue and a fixed set of threads. The request path never waits on it: a handler
/// first reserves a place (one atomic increment), and when the queue is full it answers 503 at
/// once instead. The mutex is taken only by work that is blocking anyway.
class OffloadPool final {
 public:
  /// threads == 0: nothing can be offloaded (every reservation fails).
  OffloadPool(std::size_t threads, std::size_t queue_limit);
  ~OffloadPool();
  OffloadPool(const OffloadPool&) = delete;
  OffloadPool& operator=(const OffloadPool&) = delete;

  /// Any thread: takes a place in the queue; false when it is full (or the pool is stopped).
  bool try_reserve();
  /// Queues a job into a place taken by try_reserve(). Never fails.
  void submit_reserved(std::function<void()> job);
  /// Stops the threads; jobs not started are destroyed without running. Idempotent.
  void stop();

  std::size_t queued() const { return reserved_.load(std::memory_order_relaxed); }

 private:
  void run();

  const std::size_t limit_;
  std::atomic<std::size_t> reserved_{0};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace surge::detail
