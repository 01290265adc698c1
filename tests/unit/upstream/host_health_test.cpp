#include "upstream/host_health.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

TEST(HostHealth, EachEjectionInARowLastsLongerUpToTheCap) {
  HostHealth h;
  UpstreamOutlierDetection config;
  config.base_ejection = 10s;
  config.max_ejection = 25s;
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  ASSERT_TRUE(h.usable(t0));
  ASSERT_TRUE(h.eject(t0, config));
  EXPECT_FALSE(h.eject(t0 + 1s, config));  // out already: another worker's ejection is not counted
  EXPECT_FALSE(h.usable(t0 + 10s - 1ns));
  EXPECT_TRUE(h.usable(t0 + 10s));
  ASSERT_TRUE(h.eject(t0 + 11s, config));  // second in a row: 20 s
  EXPECT_FALSE(h.usable(t0 + 31s - 1ns));
  EXPECT_TRUE(h.usable(t0 + 31s));
  ASSERT_TRUE(h.eject(t0 + 32s, config));  // third: 30 s capped at 25 s
  EXPECT_TRUE(h.usable(t0 + 57s));
  EXPECT_EQ(h.ejections(), 3u);
  EXPECT_EQ(h.ejections_total(), 3u);
  // A host that stayed in for the cap's length starts again from one base time.
  ASSERT_TRUE(h.eject(t0 + 57s + 26s, config));
  EXPECT_EQ(h.ejections(), 1u);
  EXPECT_TRUE(h.usable(t0 + 93s));
}

TEST(HostHealth, RunsOfFailuresEndAtASuccessAndAtAnEjection) {
  HostHealth h;
  EXPECT_EQ(h.record_5xx(), 1u);
  EXPECT_EQ(h.record_5xx(), 2u);
  EXPECT_EQ(h.record_gateway_failure(), 1u);
  h.record_success();
  EXPECT_EQ(h.record_5xx(), 1u);
  EXPECT_EQ(h.record_gateway_failure(), 1u);
  ASSERT_TRUE(h.eject(Clock::time_point{} + 1h, UpstreamOutlierDetection{}));
  EXPECT_EQ(h.record_5xx(), 1u);
}

TEST(HostHealth, TheActiveCheckTakesAHostOutAndItsReturnEndsAnEjection) {
  HostHealth h;
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  EXPECT_EQ(h.set_active(true, t0), HealthChange::kNone);  // hosts start in
  EXPECT_EQ(h.set_active(false, t0), HealthChange::kActiveDown);
  EXPECT_FALSE(h.usable(t0));
  ASSERT_TRUE(h.eject(t0, UpstreamOutlierDetection{}));
  EXPECT_EQ(h.set_active(true, t0 + 1s), HealthChange::kActiveUp);
  EXPECT_TRUE(h.usable(t0 + 1s));
  EXPECT_EQ(h.back_since(), HostHealth::ticks(t0 + 1s));  // slow start counts from here
}

TEST(HostHealth, TheBreakerIsLookedAtWithoutTakingAPermit) {
  HostHealth h;
  const Clock::time_point t0 = Clock::time_point{} + 1h;
  EXPECT_TRUE(h.breaker_admits(t0));  // none
  HostBreakerConfig config;
  config.algorithm.consecutive_failures = 1;
  config.algorithm.open_duration = 5s;
  config.algorithm.half_open_max_calls = 1;
  config.failure_statuses.set(502);
  h.set_breaker(config);
  EXPECT_TRUE(h.breaker_failure(502));
  EXPECT_FALSE(h.breaker_failure(500));
  BreakerShard& shard = h.breaker()->shard(0);
  const BreakerPermit permit = shard.allow(t0);
  shard.record(permit, CallOutcome::kFailure, 1ms, t0);
  EXPECT_FALSE(h.breaker_admits(t0 + 1s));  // open
  EXPECT_TRUE(h.breaker_admits(t0 + 5s));   // its time is up: the next allow() half-opens it
  const BreakerPermit probe = shard.allow(t0 + 5s);
  ASSERT_TRUE(probe.probe);
  EXPECT_FALSE(h.breaker_admits(t0 + 5s));  // the one probe slot is taken
  shard.cancel(probe);
  EXPECT_TRUE(h.breaker_admits(t0 + 5s));
}

}  // namespace
}  // namespace surge::detail
