#include "middleware/breaker_guard.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "middleware/recover.hpp"
#include "protection_support.hpp"

namespace surge::detail {
namespace {

using namespace test::protection_names;

surge::CircuitBreakerConfig test_config() {
  surge::CircuitBreakerConfig c;
  c.name = "backend";
  c.window = 10s;
  c.window_buckets = 10;
  c.min_requests = 4;
  c.failure_percent = 50;
  c.open = 5s;
  c.half_open_max_calls = 2;
  c.now = &fake_now;
  return c;
}

constexpr std::size_t idx(BreakerStatus s) {
  return static_cast<std::size_t>(s);
}

class BreakerGuardTest : public ::testing::Test {
 protected:
  void SetUp() override { test::reset_clock(); }

  // A call answered `answer` at once, or (defer) left open until Call::finish().
  static Call call(Middleware& guard, int answer, bool defer = false, std::size_t worker = 0,
                   Clock::duration takes = 0s) {
    return Call(guard, defer ? 0 : answer, worker, takes);
  }
  static void calls(Middleware& guard, int n, int answer) {
    for (int i = 0; i < n; ++i)
      call(guard, answer);
  }
  static BreakerStatus state(const BreakerGuard& guard) { return guard.breaker().state().status; }
  // Trips the breaker on the failure ratio (4 calls, all 500) at g_now.
  static void trip(BreakerGuard& guard) {
    calls(guard, 4, 500);
    guard.control_tick(g_now);
    ASSERT_EQ(state(guard), BreakerStatus::kOpen);
  }
};

TEST_F(BreakerGuardTest, TripsOnTheFailureRatioAndRefusesWithoutRunningTheHandler) {
  BreakerGuard guard(test_config(), nullptr);
  calls(guard, 3, 500);
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);  // under min_requests
  trip(guard);
  g_now += 1200ms;
  Call refused = call(guard, 200);
  EXPECT_FALSE(refused.handled);
  EXPECT_EQ(refused.status(), 503);
  EXPECT_EQ(refused.fx->body(), "circuit breaker \"backend\" is open\n");
  EXPECT_EQ(refused.fx->header("Retry-After"), "4");  // 3.8 s until half-open, rounded up
  const BreakerGuardCounters c = guard.counters();
  EXPECT_EQ(c.allowed, 7u);
  EXPECT_EQ(c.failures, 7u);
  EXPECT_EQ(c.rejected, 1u);
  EXPECT_EQ(c.transitions[idx(BreakerStatus::kClosed)][idx(BreakerStatus::kOpen)], 1u);
}

TEST_F(BreakerGuardTest, ClientErrorsAreNotFailuresByDefault) {
  BreakerGuard guard(test_config(), nullptr);
  calls(guard, 10, 404);
  calls(guard, 10, 429);
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
  EXPECT_EQ(guard.counters().successes, 20u);
  EXPECT_FALSE(guard.is_failure(499));
  EXPECT_TRUE(guard.is_failure(500));
  EXPECT_TRUE(guard.is_failure(503));
}

TEST_F(BreakerGuardTest, FailureStatusesAreConfigurable) {
  surge::CircuitBreakerConfig c = test_config();
  c.failure_statuses = {{429, 429}, {502, 503}};
  BreakerGuard guard(c, nullptr);
  EXPECT_TRUE(guard.is_failure(429));
  EXPECT_FALSE(guard.is_failure(500));
  EXPECT_TRUE(guard.is_failure(502));
  EXPECT_TRUE(guard.is_failure(504));  // timeouts_are_failures
  c.timeouts_are_failures = false;
  EXPECT_FALSE(BreakerGuard(c, nullptr).is_failure(504));
}

TEST_F(BreakerGuardTest, RecoversThroughHalfOpenProbesAfterTheOpenTime) {
  BreakerGuard guard(test_config(), nullptr);
  trip(guard);
  g_now += 5s;
  EXPECT_EQ(call(guard, 200).status(), 200);  // the first probe moves it to half-open
  EXPECT_EQ(state(guard), BreakerStatus::kHalfOpen);
  EXPECT_EQ(call(guard, 200).status(), 200);  // the second (last) probe closes it
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
  const BreakerGuardCounters c = guard.counters();
  EXPECT_EQ(c.transitions[idx(BreakerStatus::kOpen)][idx(BreakerStatus::kHalfOpen)], 1u);
  EXPECT_EQ(c.transitions[idx(BreakerStatus::kHalfOpen)][idx(BreakerStatus::kClosed)], 1u);
}

TEST_F(BreakerGuardTest, TheControlTickHalfOpensWhenTheOpenTimeIsOver) {
  BreakerGuard guard(test_config(), nullptr);
  trip(guard);
  g_now += 4999ms;
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);
  g_now += 1ms;
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kHalfOpen);
}

TEST_F(BreakerGuardTest, OnlyHalfOpenMaxCallsProbesPassAndTheyDecide) {
  BreakerGuard guard(test_config(), nullptr);
  trip(guard);
  g_now += 5s;
  Call first = call(guard, 0, /*defer=*/true);
  Call second = call(guard, 0, /*defer=*/true);
  EXPECT_TRUE(first.handled);
  EXPECT_TRUE(second.handled);
  Call third = call(guard, 200);
  EXPECT_FALSE(third.handled);
  EXPECT_EQ(third.status(), 503);
  EXPECT_EQ(third.fx->header("Retry-After"), "1");  // the probes' answers are due any moment
  first.finish(200);
  EXPECT_EQ(state(guard), BreakerStatus::kHalfOpen);
  second.finish(200);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
}

TEST_F(BreakerGuardTest, AFailedProbeReopens) {
  BreakerGuard guard(test_config(), nullptr);
  trip(guard);
  g_now += 5s;
  EXPECT_EQ(call(guard, 502).status(), 502);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);
  EXPECT_EQ(guard.counters().transitions[idx(BreakerStatus::kHalfOpen)][idx(BreakerStatus::kOpen)],
            1u);
}

TEST_F(BreakerGuardTest, ADeferredCallIsJudgedWhenItsAnswerIsFinal) {
  BreakerGuard guard(test_config(), nullptr);
  std::vector<Call> pending;
  for (int i = 0; i < 4; ++i)
    pending.push_back(call(guard, 0, /*defer=*/true));
  guard.control_tick(g_now);
  EXPECT_EQ(guard.breaker().window_counts(g_now).calls, 0u);  // nothing final yet
  for (Call& c : pending)
    c.finish(503);
  EXPECT_EQ(guard.breaker().window_counts(g_now), (WindowCounts{4, 4, 0}));
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);
}

TEST_F(BreakerGuardTest, AMissedDeadlineIsAFailureUnlessConfiguredOtherwise) {
  BreakerGuard counted(test_config(), nullptr);
  for (int i = 0; i < 4; ++i)
    call(counted, 0, true).finish(504);
  EXPECT_EQ(counted.counters().failures, 4u);
  surge::CircuitBreakerConfig c = test_config();
  c.timeouts_are_failures = false;
  BreakerGuard ignored(c, nullptr);
  for (int i = 0; i < 4; ++i)
    call(ignored, 0, true).finish(504);
  EXPECT_EQ(ignored.counters().failures, 0u);
  EXPECT_EQ(ignored.counters().successes, 4u);
}

TEST_F(BreakerGuardTest, AnExceptionCountsAsTheRecovered500) {
  BreakerGuard guard(test_config(), nullptr);
  Recover recover(nullptr, {});
  for (int i = 0; i < 4; ++i) {
    FakeExchange fx(request("GET", "/backend"));
    fx.run({&recover, &guard}, [](Context&) -> void { throw std::runtime_error("backend down"); });
    fx.exchange().run_completion_calls();
    EXPECT_EQ(fx.status(), 500);
  }
  EXPECT_EQ(guard.counters().failures, 4u);
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);
}

TEST_F(BreakerGuardTest, SlowCallsTripTheSlowCallRatio) {
  surge::CircuitBreakerConfig c = test_config();
  c.failure_percent = 0;
  c.slow_call = 1s;
  c.slow_call_percent = 50;
  BreakerGuard guard(c, nullptr);
  for (int i = 0; i < 2; ++i)
    call(guard, 200, false, 0, 1001ms);
  for (int i = 0; i < 2; ++i)
    call(guard, 200, false, 0, 10ms);
  EXPECT_EQ(guard.breaker().window_counts(g_now).slow, 2u);
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);
}

TEST_F(BreakerGuardTest, ConsecutiveFailuresTripAtOnce) {
  surge::CircuitBreakerConfig c = test_config();
  c.consecutive_failures = 3;
  c.failure_percent = 0;
  BreakerGuard guard(c, nullptr);
  calls(guard, 2, 500);
  call(guard, 200);
  calls(guard, 2, 500);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
  call(guard, 500);
  EXPECT_EQ(state(guard), BreakerStatus::kOpen);  // no control tick needed
}

TEST_F(BreakerGuardTest, AnOutcomeFromBeforeATripIsIgnored) {
  BreakerGuard guard(test_config(), nullptr);
  Call old = call(guard, 0, /*defer=*/true);
  trip(guard);
  g_now += 5s;
  call(guard, 200);  // probe 1 of 2: half-open
  old.finish(500);   // from the closed generation: must not re-open the breaker
  EXPECT_EQ(state(guard), BreakerStatus::kHalfOpen);
  call(guard, 200);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
}

TEST_F(BreakerGuardTest, ATripOnOneWorkerStopsCallsOnAll) {
  BreakerGuard guard(test_config(), nullptr);
  guard.attach(2);
  for (int i = 0; i < 4; ++i)
    call(guard, 500, false, 0);
  guard.control_tick(g_now);
  EXPECT_EQ(call(guard, 200, false, 1).status(), 503);
}

TEST_F(BreakerGuardTest, ForcedOpenRefusesEverything) {
  surge::CircuitBreakerConfig c = test_config();
  c.force = BreakerForce::kOpen;
  BreakerGuard guard(c, nullptr);
  EXPECT_EQ(state(guard), BreakerStatus::kForcedOpen);
  g_now += 1h;
  guard.control_tick(g_now);
  Call refused = call(guard, 200);
  EXPECT_FALSE(refused.handled);
  EXPECT_EQ(refused.status(), 503);
  EXPECT_EQ(refused.fx->header("Retry-After"), "5");  // the configured open time
}

TEST_F(BreakerGuardTest, ForcedClosedLetsEverythingThroughAndIgnoresOutcomes) {
  surge::CircuitBreakerConfig c = test_config();
  c.force = BreakerForce::kClosed;
  c.consecutive_failures = 1;
  BreakerGuard guard(c, nullptr);
  calls(guard, 10, 500);
  guard.control_tick(g_now);
  EXPECT_EQ(state(guard), BreakerStatus::kForcedClosed);
  EXPECT_EQ(call(guard, 200).status(), 200);
}

TEST_F(BreakerGuardTest, ACallWithoutACompletionSlotGoesAheadUnobserved) {
  test::CompletionHog hog;
  BreakerGuard guard(test_config(), nullptr);
  trip(guard);
  g_now += 5s;
  FakeExchange fx(request("GET", "/backend"));
  fx.run({&hog, &guard}, [](Context& ctx) { ctx.text(200, "ok"); });
  fx.exchange().run_completion_calls();
  EXPECT_EQ(fx.status(), 200);
  EXPECT_EQ(guard.counters().untracked, 1u);
  // Its probe slot was given back: two more probes may pass.
  EXPECT_EQ(call(guard, 200).status(), 200);
  EXPECT_EQ(call(guard, 200).status(), 200);
  EXPECT_EQ(state(guard), BreakerStatus::kClosed);
}

TEST_F(BreakerGuardTest, TransitionsAreLoggedWithTheirReason) {
  CapturedLog log;
  BreakerGuard guard(test_config(), log.log);
  trip(guard);
  g_now += 5s;
  call(guard, 200);
  call(guard, 200);
  const std::string text = log.text();
  EXPECT_NE(text.find("warning circuit breaker \"backend\" closed -> open: failure_ratio"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("info circuit breaker \"backend\" open -> half_open: open_elapsed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("info circuit breaker \"backend\" half_open -> closed: probes_succeeded"),
            std::string::npos)
      << text;
}

TEST_F(BreakerGuardTest, InvalidConfigsAreRefused) {
  for (auto edit : std::initializer_list<void (*)(surge::CircuitBreakerConfig&)>{
           [](surge::CircuitBreakerConfig& c) { c.name = ""; },
           [](surge::CircuitBreakerConfig& c) { c.failure_percent = 101; },
           [](surge::CircuitBreakerConfig& c) { c.window_buckets = 0; },
           [](surge::CircuitBreakerConfig& c) { c.window = 5ms; },
           [](surge::CircuitBreakerConfig& c) { c.open = 0ms; },
           [](surge::CircuitBreakerConfig& c) { c.max_open = 1s; },
           [](surge::CircuitBreakerConfig& c) { c.half_open_max_calls = 0; },
           [](surge::CircuitBreakerConfig& c) { c.open_multiplier_percent = 50; },
           [](surge::CircuitBreakerConfig& c) {
             c.failure_statuses = {{600, 700}};
           }}) {
    surge::CircuitBreakerConfig c = test_config();
    edit(c);
    EXPECT_THROW(BreakerGuard(c, nullptr), std::invalid_argument);
  }
  EXPECT_NE(make_circuit_breaker(test_config()), nullptr);
}

}  // namespace
}  // namespace surge::detail
