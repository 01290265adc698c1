#pragma once
// Counter: a per-worker metric with one writer and lock-free readers.

#include <atomic>
#include <cstdint>

namespace surge::detail {

/// Written only by the worker that owns it (a load and a store, no read-modify-write: on x86 this
/// is a plain add to memory), read by the exporter thread at scrape time. Never contended.
class Counter final {
 public:
  void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Same, for a value that goes up and down (open connections).
class Gauge final {
 public:
  void add(std::int64_t n) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace surge::detail
