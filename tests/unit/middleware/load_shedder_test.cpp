#include "middleware/load_shedder.hpp"

#include <stdexcept>
#include <vector>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "protection_support.hpp"

namespace surge::detail {
namespace {

using namespace test::protection_names;

class LoadShedderTest : public ::testing::Test {
 protected:
  void SetUp() override { test::reset_clock(); }

  static LoadShedConfig fixed(std::uint32_t max) {
    LoadShedConfig c;
    c.max_in_flight_per_worker = max;
    c.now = &fake_now;
    return c;
  }

  // A request whose handler defers (the answer comes with finish()), or answers 200 at once.
  static Call call(LoadShedder& shedder, bool defer = true, std::size_t worker = 0) {
    return Call(shedder, defer ? 0 : 200, worker);
  }

  // n requests admitted together, each answered `latency` later.
  static void batch(LoadShedder& shedder, int n, Clock::duration latency) {
    std::vector<Call> calls;
    for (int i = 0; i < n; ++i) {
      calls.push_back(call(shedder));
      ASSERT_TRUE(calls.back().handled) << "shed at " << i << " of " << n;
    }
    g_now += latency;
    for (Call& c : calls)
      c.finish();
  }
};

TEST_F(LoadShedderTest, BeyondTheBoundRequestsAreShedAtOnce) {
  LoadShedder shedder(fixed(2), nullptr);
  Call first = call(shedder);
  Call second = call(shedder);
  EXPECT_EQ(shedder.counters().in_flight, 2);
  Call third = call(shedder);
  EXPECT_FALSE(third.handled);
  EXPECT_EQ(third.status(), 503);
  EXPECT_EQ(third.fx->body(), "server overloaded: \"global\" in-flight limit reached\n");
  EXPECT_EQ(third.fx->header("Retry-After"), "1");
  first.finish();
  EXPECT_EQ(shedder.counters().in_flight, 1);
  Call fourth = call(shedder);
  EXPECT_TRUE(fourth.handled);
  const LoadShedderCounters c = shedder.counters();
  EXPECT_EQ(c.admitted, 3u);
  EXPECT_EQ(c.shed, 1u);
  EXPECT_EQ(c.limit, 2);
  second.finish();
  fourth.finish();
  EXPECT_EQ(shedder.counters().in_flight, 0);
}

TEST_F(LoadShedderTest, SynchronousRequestsLeaveNothingInFlight) {
  LoadShedder shedder(fixed(1), nullptr);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(call(shedder, false).status(), 200);
  EXPECT_EQ(shedder.counters().shed, 0u);
  EXPECT_EQ(shedder.counters().in_flight, 0);
}

TEST_F(LoadShedderTest, TheBoundIsPerWorker) {
  LoadShedder shedder(fixed(1), nullptr);
  shedder.attach(2);
  Call busy = call(shedder, true, 0);
  EXPECT_EQ(call(shedder, true, 0).status(), 503);
  Call other = call(shedder, true, 1);
  EXPECT_TRUE(other.handled);
  busy.finish();
  other.finish();
}

TEST_F(LoadShedderTest, RetryAfterAndNameAreConfigurable) {
  LoadShedConfig c = fixed(1);
  c.name = "/upload";
  c.retry_after_s = 7;
  LoadShedder shedder(c, nullptr);
  Call busy = call(shedder);
  Call shed = call(shedder);
  EXPECT_EQ(shed.fx->header("Retry-After"), "7");
  EXPECT_EQ(shed.fx->body(), "server overloaded: \"/upload\" in-flight limit reached\n");
  busy.finish();
}

TEST_F(LoadShedderTest, AnAdaptiveLimitFollowsLatency) {
  LoadShedConfig c = fixed(1000);
  c.adaptive.enabled = true;
  c.adaptive.initial_limit = 10;
  c.adaptive.min_limit = 2;
  c.adaptive.max_limit = 100;
  c.adaptive.window = 100ms;
  c.adaptive.min_samples = 5;
  c.adaptive.tolerance_percent = 150;
  c.adaptive.backoff_percent = 50;
  c.adaptive.increase = 2;
  c.adaptive.probe_interval = 0ms;  // one probe, at the start
  LoadShedder shedder(c, nullptr);
  // The first window measures the no-load baseline at min_limit.
  EXPECT_EQ(shedder.limit(0), 2u);
  Call probe_a = call(shedder);
  Call probe_b = call(shedder);
  EXPECT_EQ(call(shedder).status(), 503);  // two in flight: the probe's limit
  g_now += 10ms;
  probe_a.finish();
  probe_b.finish();
  while (shedder.limit(0) == 2)
    batch(shedder, 2, 10ms);
  EXPECT_EQ(shedder.limit(0), 10u);  // the baseline is 10 ms; back to initial_limit
  // Latency at the baseline with the limit in use: additive increase.
  for (int i = 0; i < 11; ++i)
    batch(shedder, 6, 10ms);
  EXPECT_EQ(shedder.limit(0), 12u);
  // Latency five times the baseline: multiplicative decrease.
  for (int i = 0; i < 3; ++i)
    batch(shedder, 2, 50ms);
  EXPECT_EQ(shedder.limit(0), 6u);
  for (int i = 0; i < 3; ++i)
    batch(shedder, 2, 50ms);
  EXPECT_EQ(shedder.limit(0), 3u);
  // The lower limit sheds.
  std::vector<Call> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(call(shedder));
  EXPECT_EQ(call(shedder).status(), 503);
  EXPECT_EQ(shedder.counters().limit, 3);
  for (Call& h : held)
    h.finish();
}

TEST_F(LoadShedderTest, TheFixedBoundCapsTheAdaptiveLimit) {
  LoadShedConfig c = fixed(3);
  c.adaptive.enabled = true;
  c.adaptive.initial_limit = 50;
  c.adaptive.min_limit = 1;
  c.adaptive.min_samples = 1;
  c.adaptive.probe_interval = 0ms;
  LoadShedder shedder(c, nullptr);
  EXPECT_EQ(shedder.limit(0), 1u);  // probing at min_limit
  while (shedder.limit(0) == 1)
    batch(shedder, 1, 10ms);
  EXPECT_EQ(shedder.limit(0), 3u);  // the adaptive limit is 50, the fixed bound 3
  std::vector<Call> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(call(shedder));
  EXPECT_EQ(call(shedder).status(), 503);
  for (Call& h : held)
    h.finish();
}

TEST_F(LoadShedderTest, ARequestWithoutACompletionSlotIsNotCounted) {
  test::CompletionHog hog;
  LoadShedder shedder(fixed(1), nullptr);
  for (int i = 0; i < 3; ++i) {
    FakeExchange fx(request("GET", "/"));
    fx.run({&hog, &shedder}, [](Context& ctx) { exchange_of(ctx).async().pending = true; });
  }
  EXPECT_EQ(shedder.counters().untracked, 3u);
  EXPECT_EQ(shedder.counters().in_flight, 0);
  EXPECT_EQ(shedder.counters().shed, 0u);
}

TEST_F(LoadShedderTest, InvalidConfigsAreRefused) {
  EXPECT_THROW(LoadShedder(fixed(0), nullptr), std::invalid_argument);
  LoadShedConfig c = fixed(10);
  c.adaptive.enabled = true;
  c.adaptive.min_limit = 10;
  c.adaptive.max_limit = 5;
  EXPECT_THROW(LoadShedder(c, nullptr), std::invalid_argument);
  c = fixed(10);
  c.retry_after_s = 0;
  EXPECT_THROW(LoadShedder(c, nullptr), std::invalid_argument);
  EXPECT_NE(make_load_shedder(fixed(10)), nullptr);
}

}  // namespace
}  // namespace surge::detail
