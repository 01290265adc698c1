#include "server/offload_pool.hpp"

#include <pthread.h>
#include <signal.h>

#include <string>

namespace surge::detail {

OffloadPool::OffloadPool(std::size_t threads, std::size_t queue_limit)
    : limit_(threads == 0 ? 0 : queue_limit) {
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, i] {
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);
      pthread_setname_np(pthread_self(), ("surge-off" + std::to_string(i)).substr(0, 15).c_str());
      run();
    });
  }
}

OffloadPool::~OffloadPool() { stop(); }

bool OffloadPool::try_reserve() {
  std::size_t current = reserved_.load(std::memory_order_relaxed);
  while (current < limit_) {
    if (reserved_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

void OffloadPool::submit_reserved(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      reserved_.fetch_sub(1, std::memory_order_relaxed);
      return;  // the job (and any Deferred in it) is destroyed: its request gets a 500
    }
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void OffloadPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(jobs_);
  }
  ready_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  reserved_.store(0, std::memory_order_relaxed);
}

void OffloadPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    reserved_.fetch_sub(1, std::memory_order_relaxed);
    job();
  }
}

}  // namespace surge::detail
