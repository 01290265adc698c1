#pragma once
// BreakerWindow: one worker's rolling window of call outcomes, readable from any thread.

#include <atomic>
#include <cstdint>
#include <memory>

#include "limit/clock.hpp"

namespace surge::detail {

struct WindowCounts {
  std::uint64_t calls = 0;
  std::uint64_t failures = 0;
  std::uint64_t slow = 0;  // calls slower than the breaker's slow_call (failed or not)

  WindowCounts& operator+=(const WindowCounts& other) {
    calls += other.calls;
    failures += other.failures;
    slow += other.slow;
    return *this;
  }
  bool operator==(const WindowCounts&) const = default;
};

/// A ring of `buckets` time buckets of `bucket_length` each (Sentinel's LeapArray): the window is
/// the current bucket and the buckets - 1 before it. Each bucket is tagged with (generation, bucket
/// number since the clock's epoch); a bucket from an older time or breaker generation is reset by
/// the next record() that lands on it and ignored by sum(), so a breaker that closes again starts
/// from an empty window without anyone clearing it.
///
/// Single writer, many readers: only the owning worker calls record(); any thread may call sum().
/// Counters are bumped with a load and a store (no read-modify-write; see Counter). A reset is a
/// seqlock: the writer marks the tag invalid, zeroes the counters and publishes the new tag, all
/// counter stores being releases; sum() reads the tag and the counters with acquire loads, then
/// the tag again, and skips the bucket if it changed. sum() may miss calls recorded while it runs;
/// it never mixes two buckets' counts. On x86-64 every one of these is a plain mov.
class BreakerWindow final {
 public:
  /// buckets >= 1; bucket_length >= 1 ms (callers normalise the config).
  BreakerWindow(std::uint32_t buckets, Clock::duration bucket_length);

  /// Owner only. `now` must not decrease between calls.
  void record(std::uint16_t generation, Clock::time_point now, bool failure, bool slow);
  /// Any thread: the counts of `generation` in the window ending at `now`.
  WindowCounts sum(std::uint16_t generation, Clock::time_point now) const;

 private:
  struct Bucket {
    std::atomic<std::uint64_t> tag;  // generation << 48 | bucket number; kInvalid while resetting
    std::atomic<std::uint32_t> calls;
    std::atomic<std::uint32_t> failures;
    std::atomic<std::uint32_t> slow;
  };

  std::unique_ptr<Bucket[]> buckets_;
  std::uint32_t count_;
  std::int64_t bucket_ns_;
  // Writer only: the bucket of the previous record(), its slot and where it ends, so that most
  // records skip two 64-bit divisions.
  std::uint64_t last_number_ = 0;
  std::uint32_t last_slot_ = 0;
  std::int64_t last_end_ns_ = 0;
};

}  // namespace surge::detail
