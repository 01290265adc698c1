#include "limit/breaker_shard.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "limit/circuit_breaker.hpp"

// Concurrency of the shared breaker. The logic is covered with one thread in
// circuit_breaker_test.cpp; these tests only assert eventual outcomes, never timing.
namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0 = Clock::time_point{} + 1h;

TEST(BreakerShard, WorkersTripTheSharedBreakerWhileEvaluateRuns) {
  CircuitBreakerConfig config;
  config.min_requests = 100;
  config.failure_ratio = 500;
  CircuitBreaker breaker(config, 2);
  std::vector<std::thread> workers;
  std::vector<std::uint64_t> recorded(2, 0);
  for (std::uint32_t w = 0; w < 2; ++w) {
    workers.emplace_back([&breaker, &recorded, w] {
      BreakerShard& shard = breaker.shard(w);
      for (;;) {
        const BreakerPermit permit = shard.allow(kT0);
        if (!permit.allowed) return;  // the other thread or evaluate() tripped it
        shard.record(permit, CallOutcome::kFailure, 1ms, kT0);
        ++recorded[w];
      }
    });
  }
  BreakerTransition trip;
  while (!trip.happened() && breaker.state().status == BreakerStatus::kClosed) {
    trip = breaker.evaluate(kT0);
  }
  for (auto& t : workers)
    t.join();
  EXPECT_EQ(trip.reason, TransitionReason::kFailureRatio);
  EXPECT_EQ(breaker.state().status, BreakerStatus::kOpen);
  EXPECT_GE(recorded[0] + recorded[1], 100u);
}

TEST(BreakerShard, ConcurrentProbesRespectTheBudgetAndCloseOnce) {
  CircuitBreakerConfig config;
  config.min_requests = 1;
  config.half_open_max_calls = 7;
  CircuitBreaker breaker(config, 2);
  const BreakerPermit first = breaker.shard(0).allow(kT0);
  breaker.shard(0).record(first, CallOutcome::kFailure, 1ms, kT0);
  ASSERT_TRUE(breaker.evaluate(kT0).happened());

  const Clock::time_point later = kT0 + config.open_duration;
  std::vector<std::vector<BreakerPermit>> probes(2);
  std::vector<int> half_opened(2, 0);
  std::vector<int> closed(2, 0);
  std::vector<std::thread> workers;
  for (std::uint32_t w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      BreakerShard& shard = breaker.shard(w);
      for (int i = 0; i < 1000; ++i) {
        const BreakerPermit p = shard.allow(later);
        if (p.transition.happened()) ++half_opened[w];
        if (p.allowed) probes[w].push_back(p);
      }
    });
  }
  for (auto& t : workers)
    t.join();
  workers.clear();
  EXPECT_EQ(probes[0].size() + probes[1].size(), 7u);
  EXPECT_EQ(half_opened[0] + half_opened[1], 1);

  for (std::uint32_t w = 0; w < 2; ++w) {
    workers.emplace_back([&, w] {
      for (const BreakerPermit& p : probes[w]) {
        const BreakerTransition t = breaker.shard(w).record(p, CallOutcome::kSuccess, 1ms, later);
        if (t.reason == TransitionReason::kProbesSucceeded) ++closed[w];
      }
    });
  }
  for (auto& t : workers)
    t.join();
  EXPECT_EQ(closed[0] + closed[1], 1);
  EXPECT_EQ(breaker.state().status, BreakerStatus::kClosed);
}

}  // namespace
}  // namespace surge::detail
