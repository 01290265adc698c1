#include "limit/adaptive_limit.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0 = Clock::time_point{} + 1h;

AdaptiveLimitConfig test_config() {
  AdaptiveLimitConfig c;
  c.initial_limit = 50;
  c.min_limit = 4;
  c.max_limit = 100;
  c.window = 100ms;
  c.min_samples = 10;
  c.tolerance = 1500;
  c.backoff = 900;
  c.increase = 2;
  c.probe_interval = 60s;
  return c;
}

// Feeds one full window (11 samples, 10 ms apart) starting at `start`; returns the next start.
Clock::time_point window(AdaptiveLimit& limit, Clock::time_point start, Clock::duration latency,
                         std::uint32_t inflight) {
  for (int i = 0; i <= 10; ++i)
    limit.on_sample(start + i * 10ms, latency, inflight);
  return start + 110ms;
}

// A limit whose probe measured a 10 ms baseline; `t` is where the next window may start.
struct Probed {
  AdaptiveLimit limit{test_config(), kT0};
  Clock::time_point t = window(limit, kT0 + 10ms, 10ms, 4);
};

TEST(AdaptiveLimit, StartsByProbingForItsBaselineAtMinLimit) {
  AdaptiveLimit limit(test_config(), kT0);
  EXPECT_TRUE(limit.probing());
  EXPECT_EQ(limit.limit(), 4u);
  EXPECT_EQ(limit.baseline(), 0ns);
  window(limit, kT0 + 10ms, 10ms, 4);
  EXPECT_FALSE(limit.probing());
  EXPECT_EQ(limit.baseline(), 10ms);
  EXPECT_EQ(limit.limit(), 50u);
}

TEST(AdaptiveLimit, AProbeIgnoresRequestsAdmittedBeforeIt) {
  AdaptiveLimit limit(test_config(), kT0);
  for (int i = 1; i <= 20; ++i)
    limit.on_sample(kT0 + i * 10ms, 1s, 50);  // queued before
  EXPECT_TRUE(limit.probing());
  window(limit, kT0 + 300ms, 10ms, 4);
  EXPECT_EQ(limit.baseline(), 10ms);
}

TEST(AdaptiveLimit, RisingLatencyLowersTheLimitMultiplicatively) {
  Probed p;
  p.t = window(p.limit, p.t, 16ms, 50);  // above 1.5 x 10 ms
  EXPECT_EQ(p.limit.limit(), 45u);
  p.t = window(p.limit, p.t, 16ms, 45);
  EXPECT_EQ(p.limit.limit(), 40u);  // 40.5 rounded down
  EXPECT_EQ(p.limit.baseline(), 10ms);
}

TEST(AdaptiveLimit, LatencyWithinToleranceRaisesAUsedLimitAdditively) {
  Probed p;
  p.t = window(p.limit, p.t, 15ms, 25);  // exactly 1.5 x baseline is not congested
  EXPECT_EQ(p.limit.limit(), 52u);
  p.t = window(p.limit, p.t, 12ms, 26);
  EXPECT_EQ(p.limit.limit(), 54u);
}

TEST(AdaptiveLimit, AnUnusedLimitDoesNotGrow) {
  Probed p;
  p.t = window(p.limit, p.t, 10ms, 24);  // peak in-flight below half the limit
  EXPECT_EQ(p.limit.limit(), 50u);
}

TEST(AdaptiveLimit, RecoversAfterLatencyReturnsToBaseline) {
  Probed p;
  for (int i = 0; i < 5; ++i)
    p.t = window(p.limit, p.t, 30ms, p.limit.limit());
  const std::uint32_t lowered = p.limit.limit();
  EXPECT_EQ(lowered, 28u);  // 50 45 40 36 32 28
  for (int i = 0; i < 5; ++i)
    p.t = window(p.limit, p.t, 10ms, p.limit.limit());
  EXPECT_EQ(p.limit.limit(), lowered + 10);
}

TEST(AdaptiveLimit, StaysWithinItsBounds) {
  Probed p;
  for (int i = 0; i < 100; ++i)
    p.t = window(p.limit, p.t, 1s, 100);
  EXPECT_EQ(p.limit.limit(), 4u);
  for (int i = 0; i < 100; ++i)
    p.t = window(p.limit, p.t, 10ms, 1000);
  EXPECT_EQ(p.limit.limit(), 100u);
  EXPECT_TRUE(p.limit.admits(99));
  EXPECT_FALSE(p.limit.admits(100));
}

TEST(AdaptiveLimit, AWindowNeedsBothItsDurationAndItsSamples) {
  Probed p;
  for (int i = 0; i < 9; ++i)
    p.limit.on_sample(p.t + i * 100ms, 100ms, 50);  // 800 ms, 9 samples
  EXPECT_EQ(p.limit.limit(), 50u);
  p.limit.on_sample(p.t + 800ms, 100ms, 50);  // the 10th closes it
  EXPECT_EQ(p.limit.limit(), 45u);
  p.t += 900ms;
  for (int i = 0; i < 20; ++i)
    p.limit.on_sample(p.t + i * 1ms, 100ms, 50);  // 19 ms, 20 samples
  EXPECT_EQ(p.limit.limit(), 45u);
}

TEST(AdaptiveLimit, TheBaselineFallsToALowerLatencyAtOnce) {
  Probed p;
  p.t = window(p.limit, p.t, 6ms, 10);
  EXPECT_EQ(p.limit.baseline(), 6ms);
  p.t = window(p.limit, p.t, 10ms, 50);  // now above 1.5 x 6 ms
  EXPECT_EQ(p.limit.limit(), 45u);
}

TEST(AdaptiveLimit, ReprobesEveryIntervalAndReplacesTheBaseline) {
  Probed p;  // the first probe closed at kT0 + 110 ms: the next is due at kT0 + 60.11 s
  p.t = window(p.limit, kT0 + 60s, 10ms, 20);
  EXPECT_FALSE(p.limit.probing());  // that window closed at 60.1 s
  p.t = window(p.limit, p.t, 10ms, 20);
  EXPECT_TRUE(p.limit.probing());  // this one at 60.21 s
  EXPECT_EQ(p.limit.limit(), 4u);
  // The backend became slower for good; the samples come from requests admitted in the probe.
  p.t = window(p.limit, p.t + 20ms, 20ms, 4);
  EXPECT_FALSE(p.limit.probing());
  EXPECT_EQ(p.limit.baseline(), 20ms);
  EXPECT_EQ(p.limit.limit(), 50u);       // as before the probe
  p.t = window(p.limit, p.t, 25ms, 50);  // within 1.5 x the new baseline
  EXPECT_EQ(p.limit.limit(), 52u);
}

TEST(AdaptiveLimit, StaggerDelaysTheFirstReprobe) {
  AdaptiveLimit limit(test_config(), kT0, 30s);
  window(limit, kT0 + 10ms, 10ms, 4);  // the first probe: the next is due at kT0 + 90.11 s
  window(limit, kT0 + 61s, 10ms, 4);
  EXPECT_FALSE(limit.probing());
  window(limit, kT0 + 91s, 10ms, 4);
  EXPECT_TRUE(limit.probing());
}

TEST(AdaptiveLimit, IsDeterministic) {
  Probed a, b;
  for (int i = 0; i < 50; ++i) {
    const auto latency = std::chrono::milliseconds(5 + (i * 7) % 20);
    const auto inflight = static_cast<std::uint32_t>(10 + (i * 13) % 60);
    a.t = window(a.limit, a.t, latency, inflight);
    b.t = window(b.limit, b.t, latency, inflight);
    ASSERT_EQ(a.limit.limit(), b.limit.limit());
  }
}

}  // namespace
}  // namespace surge::detail
