#include "upstream/host_selector.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include <spdlog/logger.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

// A cluster of n hosts on 127.0.0.1 (numeric: nothing to resolve), round robin.
Cluster cluster_of(std::size_t n, const std::function<void(UpstreamConfig&)>& adjust = {},
                   const HostBreakerConfig* breaker = nullptr) {
  UpstreamConfig config;
  config.name = "app";
  for (std::size_t i = 0; i < n; ++i) config.servers.push_back({"127.0.0.1:" + std::to_string(9001 + i), 1});
  config.balance.policy = BalancePolicy::kRoundRobin;
  if (adjust) adjust(config);
  return Cluster(config, breaker);
}

struct Fixture {
  explicit Fixture(Cluster& c) : cluster(c), selector(c, 0, 42) {}
  // Hosts picked over n picks (each settled as a success), the clock one tick further each time.
  std::set<std::size_t> picks(int n) {
    std::set<std::size_t> seen;
    for (int i = 0; i < n; ++i) {
      HostPick p = selector.pick({}, std::nullopt, advance(), log);
      if (p.host == kNoHost) continue;
      seen.insert(p.host);
      selector.settle(p, HostOutcome::kAnswered, 200, now, log);
    }
    return seen;
  }
  Clock::time_point advance() { return now += 1ms; }

  Cluster& cluster;
  HostSelector selector;
  spdlog::logger log{"test"};
  Clock::time_point now = Clock::time_point{} + 1h;
};

TEST(HostSelector, SkipsEjectedHostsUntilTooFewAreLeftThenPanics) {
  Cluster cluster = cluster_of(4, [](UpstreamConfig& c) { c.outlier_detection.panic_threshold_percent = 50; });
  Fixture f(cluster);
  cluster.hosts()[0]->health().eject(f.now, cluster.config().outlier_detection);
  cluster.hosts()[1]->health().eject(f.now, cluster.config().outlier_detection);
  EXPECT_EQ(f.picks(40), (std::set<std::size_t>{2, 3}));  // 2 of 4 usable: 50 %, no panic
  EXPECT_FALSE(f.selector.panicking());
  cluster.hosts()[2]->health().eject(f.now, cluster.config().outlier_detection);
  EXPECT_EQ(f.picks(40), (std::set<std::size_t>{0, 1, 2, 3}));  // 1 of 4: every host is used
  EXPECT_TRUE(f.selector.panicking());
}

TEST(HostSelector, TriedHostsAreSkippedAndNoneLeftIsNoHost) {
  Cluster cluster = cluster_of(2);
  Fixture f(cluster);
  const std::vector<std::uint32_t> tried{0};
  HostPick p = f.selector.pick(tried, std::nullopt, f.advance(), f.log);
  EXPECT_EQ(p.host, 1u);
  f.selector.settle(p, HostOutcome::kAbandoned, 0, f.now, f.log);
  const std::vector<std::uint32_t> both{0, 1};
  EXPECT_EQ(f.selector.pick(both, std::nullopt, f.advance(), f.log).host, kNoHost);
}

TEST(HostSelector, ConsecutiveFailuresEjectWithinTheMaximumShare) {
  Cluster cluster = cluster_of(4, [](UpstreamConfig& c) {
    c.outlier_detection.consecutive_5xx = 2;
    c.outlier_detection.consecutive_gateway_failures = 2;
    c.outlier_detection.max_ejection_percent = 50;
  });
  Fixture f(cluster);
  for (std::size_t host = 0; host < 3; ++host) {
    for (int i = 0; i < 2; ++i) {
      HostPick p{host, {}, f.advance()};
      f.selector.settle(p, host == 1 ? HostOutcome::kGatewayFailure : HostOutcome::kAnswered, 503, f.now, f.log);
    }
  }
  // Hosts 0 and 1 out (two 503s; two resets); host 2 would make three of four.
  EXPECT_TRUE(cluster.hosts()[0]->health().ejected(f.now));
  EXPECT_TRUE(cluster.hosts()[1]->health().ejected(f.now));
  EXPECT_FALSE(cluster.hosts()[2]->health().ejected(f.now));
  // A success between failures ends the run.
  HostPick p{3, {}, f.advance()};
  f.selector.settle(p, HostOutcome::kAnswered, 500, f.now, f.log);
  p = {3, {}, f.advance()};
  f.selector.settle(p, HostOutcome::kAnswered, 200, f.now, f.log);
  p = {3, {}, f.advance()};
  f.selector.settle(p, HostOutcome::kAnswered, 500, f.now, f.log);
  EXPECT_FALSE(cluster.hosts()[3]->health().ejected(f.now));
}

TEST(HostSelector, TheFailurePercentageIsJudgedAtTheEndOfEachInterval) {
  Cluster cluster = cluster_of(2, [](UpstreamConfig& c) {
    c.outlier_detection.consecutive_5xx = 0;
    c.outlier_detection.failure_percent = 50;
    c.outlier_detection.failure_percent_min_requests = 10;
    c.outlier_detection.interval = 1s;
  });
  Fixture f(cluster);
  f.selector.tick(f.now, f.log);  // the first interval starts
  for (int i = 0; i < 10; ++i) {  // host 0: 5 of 10 fail; host 1: 4 of 9 (too few requests anyway)
    HostPick a{0, {}, f.advance()};
    f.selector.settle(a, HostOutcome::kAnswered, i % 2 == 0 ? 500 : 200, f.now, f.log);
    if (i == 9) break;
    HostPick b{1, {}, f.now};
    f.selector.settle(b, HostOutcome::kAnswered, i < 4 ? 502 : 200, f.now, f.log);
  }
  f.selector.tick(f.now + 500ms, f.log);
  EXPECT_FALSE(cluster.hosts()[0]->health().ejected(f.now + 500ms));  // the interval is not over
  f.selector.tick(f.now + 1s, f.log);
  EXPECT_TRUE(cluster.hosts()[0]->health().ejected(f.now + 1s));
  EXPECT_FALSE(cluster.hosts()[1]->health().ejected(f.now + 1s));
}

TEST(HostSelector, AnOpenHostBreakerTakesItOutOfThePicks) {
  HostBreakerConfig breaker;
  breaker.algorithm.consecutive_failures = 1;
  breaker.algorithm.open_duration = 60s;
  breaker.failure_statuses.set(502);
  Cluster cluster = cluster_of(2, [](UpstreamConfig& c) { c.outlier_detection.enabled = false; }, &breaker);
  Fixture f(cluster);
  HostPick p = f.selector.pick({}, std::nullopt, f.advance(), f.log);
  ASSERT_NE(p.host, kNoHost);
  ASSERT_TRUE(p.permit.allowed);
  const std::size_t failed = p.host;
  f.selector.settle(p, HostOutcome::kAnswered, 502, f.now, f.log);
  EXPECT_EQ(cluster.hosts()[failed]->health().breaker_opens_total(), 1u);
  EXPECT_EQ(f.picks(20), (std::set<std::size_t>{1 - failed}));
}

}  // namespace
}  // namespace surge::detail
