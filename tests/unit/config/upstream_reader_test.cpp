#include "config/upstream_reader.hpp"

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "config_failure.hpp"

namespace surge::test {
namespace {

TEST(UpstreamReader, ReadsServersTimeoutsAndKeepalive) {
  const detail::DaemonConfig c = detail::parse_config(R"({"upstreams": {"app": {
      "servers": [{"address": "127.0.0.1:9001"}, {"address": "app-2.internal:9001", "weight": 2}],
      "timeouts": {"connect_ms": 100, "read_ms": 200, "send_ms": 300},
      "keepalive": {"idle_per_host": 8, "idle_timeout_ms": 1000, "max_requests": 5, "max_lifetime_ms": 9000},
      "tunnels": {"idle_timeout_ms": 60000, "max_per_worker": 7},
      "resolve_every_ms": 0}}})", "test.json");
  ASSERT_EQ(c.upstreams.size(), 1u);
  const detail::UpstreamConfig& u = c.upstreams[0];
  EXPECT_EQ(u.name, "app");
  ASSERT_EQ(u.servers.size(), 2u);
  EXPECT_EQ(u.servers[1].address, "app-2.internal:9001");
  EXPECT_EQ(u.servers[1].weight, 2u);
  EXPECT_EQ(u.timeouts.connect.count(), 100);
  EXPECT_EQ(u.timeouts.read.count(), 200);
  EXPECT_EQ(u.timeouts.send.count(), 300);
  EXPECT_EQ(u.keepalive.idle_per_host, 8u);
  EXPECT_EQ(u.keepalive.max_requests, 5u);
  EXPECT_EQ(u.tunnels.idle_timeout.count(), 60000);
  EXPECT_EQ(u.tunnels.max_per_worker, 7u);
  EXPECT_EQ(u.resolve_every.count(), 0);
}

TEST(UpstreamReader, TunnelsDefaultToLongIdleAndAWorkerCap) {
  const detail::DaemonConfig c =
      detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:9001"}]}}})", "test.json");
  EXPECT_EQ(c.upstreams[0].tunnels.idle_timeout.count(), 3600000);
  EXPECT_EQ(c.upstreams[0].tunnels.max_per_worker, 10000u);
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "tunnels": {"idle_timeout_ms": 0}}}})").first,
            "/upstreams/app/tunnels/idle_timeout_ms");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "tunnels": {"max_per_worker": -1}}}})").first,
            "/upstreams/app/tunnels/max_per_worker");
}

TEST(UpstreamReader, RefusesWhatCannotWorkAtItsPath) {
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": []}}})").first, "/upstreams/app/servers");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "nohost"}]}}})").first,
            "/upstreams/app/servers/0/address");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1", "weight": 0}]}}})").first,
            "/upstreams/app/servers/0/weight");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "timeouts": {"read_ms": 0}}}})").first,
            "/upstreams/app/timeouts/read_ms");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "retries": 3}}})").first,
            "/upstreams/app/retries");
  EXPECT_EQ(config_failure(R"({"upstreams": {"a b": {"servers": [{"address": "a:1"}]}}})").first, "/upstreams/a b");
}

TEST(UpstreamReader, ReadsBalancingHealthRetriesLimitsAndTheBreaker) {
  const detail::DaemonConfig c = detail::parse_config(R"({
      "breakers": {"per-host": {"consecutive_failures": 3}},
      "upstreams": {"app": {"servers": [{"address": "127.0.0.1:9001"}],
        "balance": {"policy": "maglev", "hash_on": "cookie:sid", "slow_start_ms": 30000},
        "outlier_detection": {"consecutive_5xx": 7, "consecutive_gateway_failures": 0, "base_ejection_ms": 1000,
                              "max_ejection_ms": 8000, "max_ejection_percent": 34, "panic_threshold_percent": 20,
                              "failure_percent": 85, "failure_percent_min_requests": 20, "interval_ms": 5000},
        "health_check": {"path": "/ready", "interval_ms": 2000, "timeout_ms": 300, "healthy_threshold": 1,
                         "unhealthy_threshold": 4, "expected_statuses": [204, "3xx"]},
        "retry": {"on": ["connect_failure"], "statuses": [502, 503], "tries": 3, "non_idempotent": true,
                  "budget_percent": 50, "budget_min": 1, "per_try_timeout_ms": 250, "backoff_base_ms": 25,
                  "backoff_max_ms": 400},
        "limits": {"max_requests": 100, "max_pending": 10},
        "breaker": "per-host"}}})", "test.json");
  const detail::UpstreamConfig& u = c.upstreams[0];
  EXPECT_EQ(u.balance.policy, detail::BalancePolicy::kMaglev);
  EXPECT_EQ(u.balance.hash_on, detail::HashSource::kCookie);
  EXPECT_EQ(u.balance.hash_name, "sid");
  EXPECT_EQ(u.balance.slow_start.count(), 30000);
  EXPECT_EQ(u.outlier_detection.consecutive_5xx, 7u);
  EXPECT_EQ(u.outlier_detection.consecutive_gateway_failures, 0u);
  EXPECT_EQ(u.outlier_detection.max_ejection.count(), 8000);
  EXPECT_EQ(u.outlier_detection.max_ejection_percent, 34u);
  EXPECT_EQ(u.outlier_detection.panic_threshold_percent, 20u);
  EXPECT_TRUE(u.health_check.enabled);  // the section's presence
  EXPECT_FALSE(u.health_check.tcp);
  EXPECT_EQ(u.health_check.path, "/ready");
  EXPECT_EQ(u.health_check.unhealthy_threshold, 4u);
  ASSERT_EQ(u.health_check.expected_statuses.size(), 2u);
  EXPECT_EQ(u.health_check.expected_statuses[1], (StatusRange{300, 399}));
  EXPECT_TRUE(u.retry.on_connect_failure);
  EXPECT_FALSE(u.retry.on_reset);
  EXPECT_FALSE(u.retry.on_timeout);
  EXPECT_EQ(u.retry.statuses, (std::vector<int>{502, 503}));
  EXPECT_EQ(u.retry.tries, 3u);
  EXPECT_TRUE(u.retry.non_idempotent);
  EXPECT_EQ(u.retry.budget_percent, 50u);
  EXPECT_EQ(u.retry.per_try_timeout.count(), 250);
  EXPECT_EQ(u.retry.backoff_base.count(), 25);
  EXPECT_EQ(u.retry.backoff_max.count(), 400);
  EXPECT_EQ(u.outlier_detection.failure_percent, 85u);
  EXPECT_EQ(u.outlier_detection.failure_percent_min_requests, 20u);
  EXPECT_EQ(u.outlier_detection.interval.count(), 5000);
  EXPECT_EQ(u.limits.max_requests, 100u);
  EXPECT_EQ(u.limits.max_pending, 10u);
  EXPECT_EQ(u.breaker, "per-host");
}

TEST(UpstreamReader, DefaultsAreLeastRequestWithOutlierDetectionAndNoActiveCheck) {
  const detail::UpstreamConfig u =
      detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}}})", "test.json").upstreams[0];
  EXPECT_EQ(u.balance.policy, detail::BalancePolicy::kLeastRequest);
  EXPECT_TRUE(u.outlier_detection.enabled);
  EXPECT_EQ(u.outlier_detection.consecutive_5xx, 5u);
  EXPECT_FALSE(u.health_check.enabled);
  EXPECT_EQ(u.retry.tries, 4u);
  EXPECT_TRUE(u.retry.statuses.empty());
  EXPECT_FALSE(u.retry.non_idempotent);
  EXPECT_EQ(u.limits.max_requests, 0u);
}

TEST(UpstreamReader, RefusesResilienceSettingsThatCannotWork) {
  auto at = [](const std::string& upstream_keys, const std::string& top = "") {
    return config_failure(R"({)" + top + R"("upstreams": {"app": {"servers": [{"address": "a:1"}], )" + upstream_keys + "}}}")
        .first;
  };
  EXPECT_EQ(at(R"("balance": {"policy": "random"})"), "/upstreams/app/balance/policy");
  EXPECT_EQ(at(R"("balance": {"policy": "ring_hash"})"), "/upstreams/app/balance/hash_on");  // nothing to hash
  EXPECT_EQ(at(R"("balance": {"hash_on": "header:X-User"})"), "/upstreams/app/balance/hash_on");  // not hashing
  EXPECT_EQ(at(R"("balance": {"policy": "maglev", "hash_on": "query:id"})"), "/upstreams/app/balance/hash_on");
  EXPECT_EQ(at(R"("outlier_detection": {"base_ejection_ms": 9000, "max_ejection_ms": 1000})"),
            "/upstreams/app/outlier_detection/max_ejection_ms");
  EXPECT_EQ(at(R"("outlier_detection": {"max_ejection_percent": 101})"),
            "/upstreams/app/outlier_detection/max_ejection_percent");
  EXPECT_EQ(at(R"("health_check": {"type": "grpc"})"), "/upstreams/app/health_check/type");
  EXPECT_EQ(at(R"("health_check": {"path": "healthz"})"), "/upstreams/app/health_check/path");
  EXPECT_EQ(at(R"("health_check": {"expected_statuses": ["2xy"]})"), "/upstreams/app/health_check/expected_statuses/0");
  EXPECT_EQ(at(R"("retry": {"on": ["5xx"]})"), "/upstreams/app/retry/on/0");
  EXPECT_EQ(at(R"("retry": {"tries": 0})"), "/upstreams/app/retry/tries");
  EXPECT_EQ(at(R"("retry": {"statuses": [700]})"), "/upstreams/app/retry/statuses/0");
  EXPECT_EQ(at(R"("retry": {"backoff_base_ms": 500, "backoff_max_ms": 100})"), "/upstreams/app/retry/backoff_max_ms");
  EXPECT_EQ(at(R"("outlier_detection": {"failure_percent": 120})"), "/upstreams/app/outlier_detection/failure_percent");
  EXPECT_EQ(at(R"("breaker": "none")"), "/upstreams/app/breaker");  // not in "breakers"
}

TEST(ProxyKind, ARouteOverridesItsUpstreamsRetryAndMayHaveAFallback) {
  const detail::DaemonConfig c = detail::parse_config(R"({
      "upstreams": {"app": {"servers": [{"address": "a:1"}], "retry": {"statuses": [503], "tries": 2}}},
      "routes": [{"path": "/*p", "method": "*", "handler": {"type": "proxy", "upstream": "app",
                  "retry": {"tries": 3},
                  "fallback": {"status": 200, "body": "{}", "headers": {"X-Degraded": "1"}}}}]})", "test.json");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app",
                  "fallback": {"headers": {"Content-Length": "3"}}}}]})").first,
            "/routes/0/handler/fallback/headers/Content-Length");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app", "fallback": {"status": 99}}}]})").first,
            "/routes/0/handler/fallback/status");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app",
                  "stale_if_error": {"max_entries": 0}}}]})").first,
            "/routes/0/handler/stale_if_error/max_entries");
  EXPECT_EQ(c.routes[0].handler.type(), "proxy");
}

TEST(ProxyKind, NamesAnUpstreamThatExists) {
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app"}}]})").first,
            "/routes/0/handler/upstream");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app", "strip_prefix": "api"}}]})").first,
            "/routes/0/handler/strip_prefix");
  const detail::DaemonConfig c = detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "method": "*", "handler": {"type": "proxy", "upstream": "app"}}]})", "test.json");
  EXPECT_EQ(c.routes[0].methods.size(), kMethodCount);  // "*": every method
  EXPECT_EQ(c.routes[0].handler.type(), "proxy");
  EXPECT_TRUE(c.routes[0].handler.streams_body());  // the body flows upstream as it arrives
}

}  // namespace
}  // namespace surge::test
