#include "config/protection_reader.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

TEST(ProtectionReader, ProtectionIsOffByDefault) {
  DaemonConfig c = parse_config("{}", "test.json");
  EXPECT_TRUE(c.trusted_proxies.empty());
  EXPECT_FALSE(c.use_forwarded_header);
  EXPECT_TRUE(c.rate_limits.empty());
  EXPECT_TRUE(c.breakers.empty());
  EXPECT_FALSE(c.load_shedding);
  EXPECT_TRUE(c.middleware.rate_limits.empty());
}

TEST(ProtectionReader, ReadsRateLimits) {
  DaemonConfig c = parse_config(R"({
    "trusted_proxies": ["10.0.0.0/8", "::1/128"], "use_forwarded_header": true,
    "rate_limits": {
      "per_ip": {"rate": 100, "per": "second", "burst": 20, "key": "client_address",
                 "ipv6_prefix": 64, "max_keys": 1000, "status": 503, "dry_run": true,
                 "headers": true, "share": "full"},
      "api": {"rate": 600, "per": "minute", "key": "header:X-API-Key", "missing_header": "skip"},
      "global": {"key": "none", "share": "shared"},
      "routes": {"key": "route"}
    },
    "middleware": {"rate_limit": ["per_ip", "global"]},
    "routes": [{"path": "/api", "handler": {"type": "echo"}, "rate_limit": ["api", "routes"]}]
  })", "test.json");
  EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1/128"}));
  EXPECT_TRUE(c.use_forwarded_header);
  ASSERT_EQ(c.rate_limits.size(), 4u);
  auto find = [&](const std::string& name) {
    return *std::find_if(c.rate_limits.begin(), c.rate_limits.end(),
                         [&](const RateLimitConfig& r) { return r.name == name; });
  };
  const RateLimitConfig per_ip = find("per_ip");
  EXPECT_EQ(per_ip.rate, 100u);
  EXPECT_EQ(per_ip.per, std::chrono::seconds(1));
  EXPECT_EQ(per_ip.burst, 20u);
  EXPECT_EQ(per_ip.key, RateLimitKey::kClientAddress);
  EXPECT_EQ(per_ip.ipv6_prefix, 64u);
  EXPECT_EQ(per_ip.max_keys, 1000u);
  EXPECT_EQ(per_ip.status, 503);
  EXPECT_TRUE(per_ip.dry_run);
  EXPECT_TRUE(per_ip.headers);
  EXPECT_EQ(per_ip.share, RateLimitShare::kFull);
  const RateLimitConfig api = find("api");
  EXPECT_EQ(api.per, std::chrono::minutes(1));
  EXPECT_EQ(api.key, RateLimitKey::kHeader);
  EXPECT_EQ(api.header, "X-API-Key");
  EXPECT_EQ(api.missing_header, MissingKey::kSkip);
  EXPECT_EQ(api.share, RateLimitShare::kAuto);
  EXPECT_EQ(api.burst, RateLimitConfig{}.burst);
  EXPECT_EQ(find("global").share, RateLimitShare::kShared);
  EXPECT_EQ(find("routes").key, RateLimitKey::kRoute);
  EXPECT_EQ(c.middleware.rate_limits, (std::vector<std::string>{"per_ip", "global"}));
  EXPECT_EQ(c.routes[0].rate_limits, (std::vector<std::string>{"api", "routes"}));
}

TEST(ProtectionReader, ReadsBreakersAndTheirUnits) {
  DaemonConfig c = parse_config(R"({
    "breakers": {"backend": {
      "window_ms": 20000, "window_buckets": 20, "min_requests": 5, "failure_percent": 40,
      "slow_call_ms": 250, "slow_call_percent": 60, "consecutive_failures": 3, "open_ms": 2000,
      "open_multiplier_percent": 200, "max_open_ms": 30000, "half_open_max_calls": 2,
      "failure_statuses": ["5xx", 429], "timeouts_are_failures": false, "force": "open"},
      "other": {"force": null, "open_ms": 120000}},
    "routes": [{"path": "/a", "handler": {"type": "echo"}, "breaker": "backend", "max_in_flight": 8},
               {"path": "/b", "handler": {"type": "echo"}, "breaker": "backend"}]
  })", "test.json");
  ASSERT_EQ(c.breakers.size(), 2u);
  const CircuitBreakerConfig& b = c.breakers[0];
  EXPECT_EQ(b.name, "backend");
  EXPECT_EQ(b.window, std::chrono::milliseconds(20000));
  EXPECT_EQ(b.window_buckets, 20u);
  EXPECT_EQ(b.min_requests, 5u);
  EXPECT_EQ(b.failure_percent, 40u);
  EXPECT_EQ(b.slow_call, std::chrono::milliseconds(250));
  EXPECT_EQ(b.slow_call_percent, 60u);
  EXPECT_EQ(b.consecutive_failures, 3u);
  EXPECT_EQ(b.open, std::chrono::milliseconds(2000));
  EXPECT_EQ(b.open_multiplier_percent, 200u);
  EXPECT_EQ(b.max_open, std::chrono::milliseconds(30000));
  EXPECT_EQ(b.half_open_max_calls, 2u);
  EXPECT_EQ(b.failure_statuses, (std::vector<StatusRange>{{500, 599}, {429, 429}}));
  EXPECT_FALSE(b.timeouts_are_failures);
  EXPECT_EQ(b.force, BreakerForce::kOpen);
  EXPECT_EQ(c.breakers[1].force, BreakerForce::kNone);
  EXPECT_EQ(c.breakers[1].max_open, std::chrono::milliseconds(120000));  // grows to open_ms
  EXPECT_EQ(c.routes[0].breaker, "backend");
  EXPECT_EQ(c.routes[0].max_in_flight, 8u);
  EXPECT_EQ(c.routes[1].max_in_flight, 0u);
}

TEST(ProtectionReader, ReadsLoadShedding) {
  DaemonConfig c = parse_config(R"({"load_shedding": {"max_in_flight_per_worker": 64,
    "retry_after_s": 3, "adaptive": {"initial_limit": 20, "min_limit": 2, "max_limit": 64,
    "window_ms": 50, "min_samples": 10, "tolerance_percent": 200, "backoff_percent": 80,
    "increase": 1, "probe_interval_ms": 0}}})", "test.json");
  EXPECT_TRUE(c.load_shedding);
  const LoadShedConfig& l = c.load_shedding_config;
  EXPECT_EQ(l.max_in_flight_per_worker, 64u);
  EXPECT_EQ(l.retry_after_s, 3u);
  EXPECT_TRUE(l.adaptive.enabled);
  EXPECT_EQ(l.adaptive.initial_limit, 20u);
  EXPECT_EQ(l.adaptive.min_limit, 2u);
  EXPECT_EQ(l.adaptive.max_limit, 64u);
  EXPECT_EQ(l.adaptive.window, std::chrono::milliseconds(50));
  EXPECT_EQ(l.adaptive.min_samples, 10u);
  EXPECT_EQ(l.adaptive.tolerance_percent, 200u);
  EXPECT_EQ(l.adaptive.backoff_percent, 80u);
  EXPECT_EQ(l.adaptive.increase, 1u);
  EXPECT_EQ(l.adaptive.probe_interval, std::chrono::milliseconds(0));
  DaemonConfig off = parse_config(R"({"load_shedding": {"enabled": false}})", "test.json");
  EXPECT_FALSE(off.load_shedding);
  DaemonConfig fixed = parse_config(R"({"load_shedding": {}})", "test.json");
  EXPECT_TRUE(fixed.load_shedding);
  EXPECT_FALSE(fixed.load_shedding_config.adaptive.enabled);
  EXPECT_EQ(fixed.load_shedding_config.max_in_flight_per_worker, 1000u);
}

TEST(ProtectionReader, UnknownProtectionNamesAreErrorsAtTheirPath) {
  auto [path, message] = config_failure(R"({"rate_limits": {"a": {}, "b": {}},
    "middleware": {"rate_limit": ["a", "c"]}})");
  EXPECT_EQ(path, "/middleware/rate_limit/1");
  EXPECT_NE(message.find("unknown rate limit \"c\" (defined in \"rate_limits\": a b)"),
            std::string::npos)
      << message;
  auto [route_path, route_message] = config_failure(R"({"routes": [
    {"path": "/x", "handler": {"type": "echo"}},
    {"path": "/y", "handler": {"type": "echo"}, "breaker": "backend"}]})");
  EXPECT_EQ(route_path, "/routes/1/breaker");
  EXPECT_NE(route_message.find("\"breakers\" defines none"), std::string::npos) << route_message;
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/x", "handler": {"type": "echo"}, "rate_limit": ["nope"]}]})").first,
            "/routes/0/rate_limit/0");
}

TEST(ProtectionReader, ALimitAppliesOnceToARequest) {
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {}}, "middleware": {"rate_limit": ["a", "a"]}})").first,
            "/middleware/rate_limit/1");
  auto [path, message] = config_failure(R"({"rate_limits": {"a": {}}, "middleware": {"rate_limit": ["a"]},
    "routes": [{"path": "/x", "handler": {"type": "echo"}, "rate_limit": ["a"]}]})");
  EXPECT_EQ(path, "/routes/0/rate_limit/0");
  EXPECT_NE(message.find("already applies to every request"), std::string::npos) << message;
}

TEST(ProtectionReader, BadProtectionValuesNameTheKey) {
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"per": "hour"}}})").first, "/rate_limits/a/per");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"rate": 0}}})").first, "/rate_limits/a/rate");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"key": "cookie"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"key": "header:"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"key": "header:Bad Name"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"missing_header": "skip"}}})").first,
            "/rate_limits/a/missing_header");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"share": "shared"}}})").first, "/rate_limits/a/share");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"status": 200}}})").first, "/rate_limits/a/status");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"ipv6_prefix": 0}}})").first, "/rate_limits/a/ipv6_prefix");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"burts": 5}}})").first, "/rate_limits/a/burts");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a b": {}}})").first, "/rate_limits/a b");
  EXPECT_EQ(config_failure(R"({"rate_limits": []})").first, "/rate_limits");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"failure_percent": 101}}})").first, "/breakers/b/failure_percent");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"window_ms": 5, "window_buckets": 10}}})").first,
            "/breakers/b/window_ms");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"open_ms": 5000, "max_open_ms": 1000}}})").first,
            "/breakers/b/max_open_ms");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"force": "half"}}})").first, "/breakers/b/force");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"failure_statuses": ["6xx"]}}})").first,
            "/breakers/b/failure_statuses/0");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"failure_statuses": [500, 99]}}})").first,
            "/breakers/b/failure_statuses/1");
  EXPECT_EQ(config_failure(R"({"load_shedding": {"max_in_flight_per_worker": 0}})").first,
            "/load_shedding/max_in_flight_per_worker");
  EXPECT_EQ(config_failure(R"({"load_shedding": {"adaptive": {"min_limit": 10, "max_limit": 5}}})").first,
            "/load_shedding/adaptive/min_limit");
  EXPECT_EQ(config_failure(R"({"load_shedding": {"adaptive": {"initial_limit": 2000}}})").first,
            "/load_shedding/adaptive/initial_limit");
  EXPECT_EQ(config_failure(R"({"load_shedding": {"adaptive": {"tolerance_percent": 99}}})").first,
            "/load_shedding/adaptive/tolerance_percent");
  EXPECT_EQ(config_failure(R"({"trusted_proxies": "10.0.0.0/8"})").first, "/trusted_proxies");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/x", "handler": {"type": "echo"}, "max_in_flight": -1}]})").first,
            "/routes/0/max_in_flight");
}

TEST(ProtectionReader, ValidateMessagesAreTheReadersWords) {
  auto [path, message] = config_failure(R"({"breakers": {"b": {"window_ms": 5, "window_buckets": 10}}})");
  EXPECT_EQ(message, "test.json: /breakers/b/window_ms: must be at least window_buckets milliseconds");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"open_ms": 5000, "max_open_ms": 1000}}})").second,
            "test.json: /breakers/b/max_open_ms: must not be shorter than open_ms");
  EXPECT_EQ(config_failure(R"({"rate_limits": {"a": {"share": "shared"}}})").second,
            "test.json: /rate_limits/a/share: \"shared\" applies only to \"key\": \"none\" (one bucket for the "
            "process)");
  EXPECT_EQ(config_failure(R"({"load_shedding": {"adaptive": {"enabled": false, "min_limit": 10, "max_limit": 5}}})")
                .second,
            "test.json: /load_shedding/adaptive/min_limit: must not exceed max_limit");
  EXPECT_EQ(config_failure(R"({"breakers": {"b": {"failure_percent": 101}}})").second,
            "test.json: /breakers/b/failure_percent: expected an integer from 0 to 100");
}

}  // namespace
}  // namespace surge::detail
