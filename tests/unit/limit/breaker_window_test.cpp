#include "limit/breaker_window.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0 = Clock::time_point{} + 1h;

TEST(BreakerWindow, SumsCallsFailuresAndSlowCallsInTheWindow) {
  BreakerWindow window(10, 1s);  // a 10 s window
  window.record(0, kT0, true, false);
  window.record(0, kT0 + 1s, false, true);
  window.record(0, kT0 + 9s, true, true);
  EXPECT_EQ(window.sum(0, kT0 + 9s), (WindowCounts{3, 2, 2}));
}

TEST(BreakerWindow, OldBucketsLeaveTheWindow) {
  BreakerWindow window(10, 1s);
  window.record(0, kT0, true, false);
  window.record(0, kT0 + 5s, true, false);
  EXPECT_EQ(window.sum(0, kT0 + 9s).calls, 2u);
  EXPECT_EQ(window.sum(0, kT0 + 10s).calls, 1u);  // kT0's bucket is 10 buckets old
  EXPECT_EQ(window.sum(0, kT0 + 15s).calls, 0u);
}

TEST(BreakerWindow, ARecycledBucketStartsFromZero) {
  BreakerWindow window(2, 1s);
  window.record(0, kT0, true, true);
  window.record(0, kT0 + 2s, false, false);  // same slot, two buckets later
  EXPECT_EQ(window.sum(0, kT0 + 2s), (WindowCounts{1, 0, 0}));
}

TEST(BreakerWindow, CountsOnlyTheRequestedGeneration) {
  BreakerWindow window(10, 1s);
  window.record(3, kT0, true, false);
  window.record(4, kT0 + 1s, true, false);
  EXPECT_EQ(window.sum(3, kT0 + 1s).calls, 1u);
  EXPECT_EQ(window.sum(4, kT0 + 1s).calls, 1u);
  window.record(4, kT0 + 10s, false, false);  // lands on generation 3's slot and resets it
  EXPECT_EQ(window.sum(3, kT0 + 10s).calls, 0u);
  EXPECT_EQ(window.sum(4, kT0 + 10s).calls, 2u);
}

// Every call is a failure. sum() reads a bucket's calls before its failures, and the writer bumps
// calls before failures, so a consistent read has calls <= failures + 1 (failures may be ahead:
// they are read later). A reader that mixed a bucket's old calls with the failures zeroed by its
// reset would see calls far above failures.
TEST(BreakerWindow, ConcurrentSumsNeverMixABucketWithItsReset) {
  BreakerWindow window(10, 1ms);
  std::atomic<std::int64_t> latest{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 200'000; ++i) {
      const Clock::time_point now = kT0 + i * 100us;  // a new bucket every 10 calls
      window.record(0, now, true, false);
      latest.store(to_ns(now), std::memory_order_relaxed);
    }
    done.store(true);
  });
  std::uint64_t reads = 0;
  while (!done.load()) {
    const WindowCounts c = window.sum(0, from_ns(latest.load(std::memory_order_relaxed)));
    ASSERT_LE(c.calls, c.failures + 1);
    ++reads;
  }
  writer.join();
  EXPECT_GT(reads, 0u);
}

}  // namespace
}  // namespace surge::detail
