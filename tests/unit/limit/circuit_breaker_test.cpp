#include "limit/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0 = Clock::time_point{} + 1h;

CircuitBreakerConfig test_config() {
  CircuitBreakerConfig c;
  c.window = 10s;
  c.window_buckets = 10;
  c.min_requests = 10;
  c.failure_ratio = 500;
  c.slow_call = 1s;
  c.slow_call_ratio = 0;
  c.consecutive_failures = 0;
  c.open_duration = 5s;
  c.open_multiplier = 1000;
  c.max_open_duration = 60s;
  c.half_open_max_calls = 2;
  return c;
}

// One call through the shard: allow, then record (if allowed).
BreakerTransition call(BreakerShard& shard, Clock::time_point now, CallOutcome outcome,
                       Clock::duration latency = 10ms) {
  const BreakerPermit permit = shard.allow(now);
  EXPECT_TRUE(permit.allowed);
  return shard.record(permit, outcome, latency, now);
}

void calls(BreakerShard& shard, Clock::time_point now, int n, CallOutcome outcome,
           Clock::duration latency = 10ms) {
  for (int i = 0; i < n; ++i)
    call(shard, now, outcome, latency);
}

// Trips the breaker (5 failures, 5 successes) and returns the transition.
BreakerTransition trip(CircuitBreaker& breaker, Clock::time_point now) {
  calls(breaker.shard(0), now, 5, CallOutcome::kFailure);
  calls(breaker.shard(0), now, 5, CallOutcome::kSuccess);
  return breaker.evaluate(now);
}

// Trips the breaker at kT0 and takes both probe slots (half_open_max_calls = 2) at kT0 + 5 s.
struct TwoProbes {
  BreakerPermit first;
  BreakerPermit second;
};
TwoProbes half_open_with_two_probes(CircuitBreaker& breaker) {
  EXPECT_TRUE(trip(breaker, kT0).happened());
  const BreakerPermit first = breaker.shard(0).allow(kT0 + 5s);
  return {first, breaker.shard(0).allow(kT0 + 5s)};
}

TEST(CircuitBreaker, StaysClosedBelowMinRequests) {
  CircuitBreaker breaker(test_config(), 1);
  calls(breaker.shard(0), kT0, 9, CallOutcome::kFailure);
  EXPECT_FALSE(breaker.evaluate(kT0).happened());
  EXPECT_EQ(breaker.state().status, BreakerStatus::kClosed);
  EXPECT_EQ(breaker.window_counts(kT0), (WindowCounts{9, 9, 0}));
}

TEST(CircuitBreaker, TripsOnTheFailureRatioOfAllShards) {
  CircuitBreaker breaker(test_config(), 2);
  calls(breaker.shard(0), kT0, 5, CallOutcome::kFailure);
  calls(breaker.shard(1), kT0, 5, CallOutcome::kSuccess);
  const BreakerTransition t = breaker.evaluate(kT0);
  EXPECT_EQ(t.from, BreakerStatus::kClosed);
  EXPECT_EQ(t.to, BreakerStatus::kOpen);
  EXPECT_EQ(t.reason, TransitionReason::kFailureRatio);
  EXPECT_EQ(t.generation, 1);
  // Tripped by shard 0's failures, shard 1 refuses too.
  const BreakerPermit refused = breaker.shard(1).allow(kT0 + 1s);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 4s);
}

TEST(CircuitBreaker, DoesNotTripBelowTheFailureRatio) {
  CircuitBreaker breaker(test_config(), 1);
  calls(breaker.shard(0), kT0, 4, CallOutcome::kFailure);
  calls(breaker.shard(0), kT0, 6, CallOutcome::kSuccess);
  EXPECT_FALSE(breaker.evaluate(kT0).happened());
}

TEST(CircuitBreaker, TripsOnTheSlowCallRatio) {
  CircuitBreakerConfig config = test_config();
  config.slow_call_ratio = 500;
  CircuitBreaker breaker(config, 1);
  calls(breaker.shard(0), kT0, 5, CallOutcome::kSuccess, 1s);  // not slower than slow_call
  calls(breaker.shard(0), kT0, 4, CallOutcome::kSuccess, 1001ms);
  EXPECT_FALSE(breaker.evaluate(kT0).happened());
  EXPECT_EQ(breaker.window_counts(kT0), (WindowCounts{9, 0, 4}));
  calls(breaker.shard(0), kT0, 1, CallOutcome::kSuccess, 2s);
  EXPECT_EQ(breaker.evaluate(kT0).reason, TransitionReason::kSlowCallRatio);
}

TEST(CircuitBreaker, TripsOnConsecutiveFailuresWithoutWaitingForEvaluate) {
  CircuitBreakerConfig config = test_config();
  config.failure_ratio = 0;
  config.consecutive_failures = 3;
  CircuitBreaker breaker(config, 1);
  BreakerShard& shard = breaker.shard(0);
  EXPECT_FALSE(call(shard, kT0, CallOutcome::kFailure).happened());
  EXPECT_FALSE(call(shard, kT0, CallOutcome::kFailure).happened());
  EXPECT_FALSE(call(shard, kT0, CallOutcome::kSuccess).happened());  // breaks the run
  EXPECT_FALSE(call(shard, kT0, CallOutcome::kFailure).happened());
  EXPECT_FALSE(call(shard, kT0, CallOutcome::kFailure).happened());
  const BreakerTransition t = call(shard, kT0, CallOutcome::kFailure);
  EXPECT_EQ(t.reason, TransitionReason::kConsecutiveFailures);
  EXPECT_EQ(t.to, BreakerStatus::kOpen);
  EXPECT_FALSE(shard.allow(kT0).allowed);
}

TEST(CircuitBreaker, FailuresOutsideTheWindowDoNotCount) {
  CircuitBreaker breaker(test_config(), 1);
  calls(breaker.shard(0), kT0, 9, CallOutcome::kFailure);
  calls(breaker.shard(0), kT0 + 10s, 1, CallOutcome::kFailure);
  EXPECT_FALSE(breaker.evaluate(kT0 + 10s).happened());
  calls(breaker.shard(0), kT0 + 10s, 9, CallOutcome::kFailure);
  EXPECT_TRUE(breaker.evaluate(kT0 + 10s).happened());
}

TEST(CircuitBreaker, RefusesWhileOpenThenLetsTheFirstProbeThrough) {
  CircuitBreaker breaker(test_config(), 1);
  ASSERT_TRUE(trip(breaker, kT0).happened());
  const BreakerPermit early = breaker.shard(0).allow(kT0 + 5s - 1ms);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after, 1ms);

  const BreakerPermit probe = breaker.shard(0).allow(kT0 + 5s);
  EXPECT_TRUE(probe.allowed);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(probe.generation, 2);
  EXPECT_EQ(probe.transition.from, BreakerStatus::kOpen);
  EXPECT_EQ(probe.transition.to, BreakerStatus::kHalfOpen);
  EXPECT_EQ(probe.transition.reason, TransitionReason::kOpenElapsed);
  EXPECT_EQ(breaker.state().probes_issued, 1u);
}

TEST(CircuitBreaker, EvaluateHalfOpensWhenDueWithoutTraffic) {
  CircuitBreaker breaker(test_config(), 1);
  ASSERT_TRUE(trip(breaker, kT0).happened());
  EXPECT_FALSE(breaker.evaluate(kT0 + 4s).happened());
  const BreakerTransition t = breaker.evaluate(kT0 + 5s);
  EXPECT_EQ(t.reason, TransitionReason::kOpenElapsed);
  EXPECT_EQ(breaker.state().status, BreakerStatus::kHalfOpen);
  EXPECT_EQ(breaker.state().probes_issued, 0u);
}

TEST(CircuitBreaker, HalfOpenLetsOnlyTheProbeBudgetThrough) {
  CircuitBreaker breaker(test_config(), 2);
  ASSERT_TRUE(trip(breaker, kT0).happened());
  const Clock::time_point t = kT0 + 5s;
  const BreakerPermit first = breaker.shard(0).allow(t);
  const BreakerPermit second = breaker.shard(1).allow(t);
  EXPECT_TRUE(first.probe);
  EXPECT_TRUE(second.probe);
  EXPECT_FALSE(second.transition.happened());
  const BreakerPermit third = breaker.shard(0).allow(t);
  EXPECT_FALSE(third.allowed);
  EXPECT_EQ(third.retry_after, 0ns);

  breaker.shard(1).cancel(second);  // its client went away: the slot is free again
  EXPECT_TRUE(breaker.shard(0).allow(t).allowed);
  EXPECT_FALSE(breaker.shard(0).allow(t).allowed);
}

TEST(CircuitBreaker, ClosesWhenEveryProbeSucceedsWithAnEmptyWindow) {
  CircuitBreaker breaker(test_config(), 1);
  const auto [a, b] = half_open_with_two_probes(breaker);
  BreakerShard& shard = breaker.shard(0);
  const Clock::time_point t = kT0 + 5s;
  EXPECT_FALSE(shard.record(a, CallOutcome::kSuccess, 10ms, t).happened());
  const BreakerTransition closed = shard.record(b, CallOutcome::kSuccess, 10ms, t);
  EXPECT_EQ(closed.from, BreakerStatus::kHalfOpen);
  EXPECT_EQ(closed.to, BreakerStatus::kClosed);
  EXPECT_EQ(closed.reason, TransitionReason::kProbesSucceeded);
  EXPECT_EQ(closed.generation, 3);
  // The failures that tripped it are still inside the 10 s window, but belong to generation 0.
  EXPECT_EQ(breaker.window_counts(t), (WindowCounts{}));
  EXPECT_FALSE(breaker.evaluate(t).happened());
}

TEST(CircuitBreaker, ReopensAtTheFirstFailedProbeAndIgnoresTheRest) {
  CircuitBreaker breaker(test_config(), 1);
  const auto [a, b] = half_open_with_two_probes(breaker);
  BreakerShard& shard = breaker.shard(0);
  const Clock::time_point t = kT0 + 5s;
  const BreakerTransition reopened = shard.record(a, CallOutcome::kFailure, 10ms, t);
  EXPECT_EQ(reopened.from, BreakerStatus::kHalfOpen);
  EXPECT_EQ(reopened.to, BreakerStatus::kOpen);
  EXPECT_EQ(reopened.reason, TransitionReason::kProbeFailed);
  EXPECT_FALSE(shard.record(b, CallOutcome::kSuccess, 10ms, t).happened());  // stale
  EXPECT_EQ(breaker.state().status, BreakerStatus::kOpen);
  EXPECT_EQ(breaker.state().trips, 2);
}

TEST(CircuitBreaker, ASlowProbeFailsOnlyWhenTheSlowCallRatioIsOn) {
  for (std::uint32_t slow_ratio : {0u, 500u}) {
    CircuitBreakerConfig config = test_config();
    config.slow_call_ratio = slow_ratio;
    config.half_open_max_calls = 1;
    CircuitBreaker breaker(config, 1);
    ASSERT_TRUE(trip(breaker, kT0).happened());
    const BreakerPermit probe = breaker.shard(0).allow(kT0 + 5s);
    const BreakerTransition t = breaker.shard(0).record(probe, CallOutcome::kSuccess, 2s, kT0 + 7s);
    EXPECT_EQ(t.to, slow_ratio == 0 ? BreakerStatus::kClosed : BreakerStatus::kOpen);
  }
}

// Reopens from half-open at `now` and returns how long the breaker stays open.
Clock::duration reopen(CircuitBreaker& breaker, Clock::time_point now) {
  const BreakerWord open = breaker.state();
  const Clock::time_point half_open =
      Clock::time_point(std::chrono::milliseconds(open.open_until_ms));
  const BreakerPermit probe = breaker.shard(0).allow(half_open);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(breaker.shard(0).record(probe, CallOutcome::kFailure, 10ms, now).reason,
            TransitionReason::kProbeFailed);
  return std::chrono::milliseconds(breaker.state().open_until_ms) - now.time_since_epoch();
}

TEST(CircuitBreaker, OpenDurationGrowsWithRepeatedTripsUpToTheCap) {
  CircuitBreakerConfig config = test_config();
  config.open_duration = 1s;
  config.open_multiplier = 2000;
  config.max_open_duration = 5s;
  CircuitBreaker breaker(config, 1);
  ASSERT_TRUE(trip(breaker, kT0).happened());
  EXPECT_EQ(std::chrono::milliseconds(breaker.state().open_until_ms), kT0.time_since_epoch() + 1s);
  Clock::time_point now = kT0;
  for (Clock::duration expected : {2s, 4s, 5s, 5s}) {
    now = Clock::time_point(std::chrono::milliseconds(breaker.state().open_until_ms));
    EXPECT_EQ(reopen(breaker, now), expected);
  }
  EXPECT_EQ(breaker.state().trips, 5);
}

TEST(CircuitBreaker, ACloseResetsTheOpenDuration) {
  CircuitBreakerConfig config = test_config();
  config.open_multiplier = 2000;
  config.half_open_max_calls = 1;
  CircuitBreaker breaker(config, 1);
  ASSERT_TRUE(trip(breaker, kT0).happened());
  EXPECT_EQ(reopen(breaker, kT0 + 5s), 10s);
  const BreakerPermit probe = breaker.shard(0).allow(kT0 + 15s);
  ASSERT_EQ(breaker.shard(0).record(probe, CallOutcome::kSuccess, 10ms, kT0 + 15s).to,
            BreakerStatus::kClosed);
  ASSERT_TRUE(trip(breaker, kT0 + 16s).happened());
  EXPECT_EQ(breaker.state().trips, 1);
  EXPECT_EQ(std::chrono::milliseconds(breaker.state().open_until_ms),
            (kT0 + 21s).time_since_epoch());
}

TEST(CircuitBreaker, OpenUntilIsRoundedUpToWholeMilliseconds) {
  CircuitBreaker breaker(test_config(), 1);
  const Clock::time_point t = kT0 + 500us;
  ASSERT_TRUE(trip(breaker, t).happened());
  const BreakerPermit refused = breaker.shard(0).allow(t + 5s);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 500us);
  EXPECT_TRUE(breaker.shard(0).allow(t + 5s + 500us).allowed);
}

TEST(CircuitBreaker, ResultsFromAnOlderGenerationAreIgnored) {
  CircuitBreakerConfig config = test_config();
  config.consecutive_failures = 1;
  CircuitBreaker breaker(config, 1);
  BreakerShard& shard = breaker.shard(0);
  const BreakerPermit old = shard.allow(kT0);
  EXPECT_EQ(old.generation, 0);
  breaker.force_closed();
  breaker.clear_override();  // closed again, generation 2
  EXPECT_FALSE(shard.record(old, CallOutcome::kFailure, 10ms, kT0).happened());
  EXPECT_EQ(breaker.state().status, BreakerStatus::kClosed);
  EXPECT_EQ(breaker.window_counts(kT0).calls, 0u);
  EXPECT_TRUE(call(shard, kT0, CallOutcome::kFailure).happened());  // a current one trips
}

TEST(CircuitBreaker, ForceOpenRefusesEverythingUntilCleared) {
  CircuitBreaker breaker(test_config(), 1);
  const BreakerTransition forced = breaker.force_open();
  EXPECT_EQ(forced.to, BreakerStatus::kForcedOpen);
  EXPECT_EQ(forced.reason, TransitionReason::kForcedOpen);
  EXPECT_FALSE(breaker.force_open().happened());  // already
  const BreakerPermit refused = breaker.shard(0).allow(kT0 + 1h);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 0ns);
  EXPECT_FALSE(breaker.evaluate(kT0 + 1h).happened());

  const BreakerTransition cleared = breaker.clear_override();
  EXPECT_EQ(cleared.from, BreakerStatus::kForcedOpen);
  EXPECT_EQ(cleared.to, BreakerStatus::kClosed);
  EXPECT_EQ(cleared.reason, TransitionReason::kOverrideCleared);
  EXPECT_FALSE(breaker.clear_override().happened());  // not forced
  EXPECT_TRUE(breaker.shard(0).allow(kT0).allowed);
}

TEST(CircuitBreaker, ForceClosedAdmitsEverythingAndCountsNothing) {
  CircuitBreakerConfig config = test_config();
  config.consecutive_failures = 1;
  CircuitBreaker breaker(config, 1);
  ASSERT_TRUE(call(breaker.shard(0), kT0, CallOutcome::kFailure).happened());  // open
  const BreakerTransition forced = breaker.force_closed();
  EXPECT_EQ(forced.from, BreakerStatus::kOpen);
  EXPECT_EQ(forced.to, BreakerStatus::kForcedClosed);
  for (int i = 0; i < 20; ++i)
    EXPECT_FALSE(call(breaker.shard(0), kT0, CallOutcome::kFailure).happened());
  EXPECT_FALSE(breaker.evaluate(kT0).happened());
  EXPECT_EQ(breaker.state().status, BreakerStatus::kForcedClosed);
}

TEST(CircuitBreaker, ClampsAnUnusableConfig) {
  CircuitBreakerConfig config;
  config.window_buckets = 0;
  config.window = 0s;
  config.half_open_max_calls = 0;
  config.open_multiplier = 10;
  config.max_open_duration = 1s;
  CircuitBreaker breaker(config, 0);
  EXPECT_EQ(breaker.shard_count(), 1u);
  EXPECT_EQ(breaker.config().window_buckets, 1u);
  EXPECT_EQ(breaker.config().window, 1ms);
  EXPECT_EQ(breaker.config().half_open_max_calls, 1u);
  EXPECT_EQ(breaker.config().open_multiplier, 1000u);
  EXPECT_EQ(breaker.config().max_open_duration, breaker.config().open_duration);
}

}  // namespace
}  // namespace surge::detail
