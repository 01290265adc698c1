#include "config/json_config.hpp"

#include <algorithm>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include <surge/error.hpp>

namespace surge::detail {
namespace {

// Runs parse_config and returns the ConfigError's JSON path and message (or "" if it parsed).
std::pair<std::string, std::string> failure(const std::string& json) {
  try {
    parse_config(json, "test.json");
  } catch (const ConfigError& e) {
    return {e.json_path(), e.what()};
  }
  return {"", ""};
}

TEST(JsonConfig, EmptyObjectGivesTheDocumentedDefaults) {
  DaemonConfig c = parse_config("{}", "test.json");
  ServerConfig defaults;
  EXPECT_EQ(c.server.listen, defaults.listen);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c.server.timeouts.idle, std::chrono::milliseconds(75000));
  EXPECT_EQ(c.log.level, "info");
}

TEST(JsonConfig, ReadsEverySection) {
  DaemonConfig c = parse_config(R"({
    "listen": ["127.0.0.1:9000", "[::1]:9000"], "threads": 3, "pin_workers": true,
    "backlog": 128, "server_header": "",
    "limits": {"max_request_line_bytes": 1000, "max_header_bytes": 2000, "max_header_count": 10,
               "max_body_bytes": 5, "max_connections_per_worker": 7,
               "max_requests_per_connection": 0, "max_pipelined_responses": 2},
    "timeouts": {"header_ms": 1, "body_ms": 2, "idle_ms": 3, "write_ms": 4, "linger_ms": 5},
    "shutdown": {"drain_delay_ms": 6, "timeout_ms": 7},
    "pools": {"buffer_bytes": 2048, "buffers_per_worker": 8, "contexts_per_worker": 9,
              "release_idle_after_ms": 10},
    "log": {"level": "debug"}
  })", "test.json");
  EXPECT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_TRUE(c.server.pin_workers);
  EXPECT_EQ(c.server.server_header, "");
  EXPECT_EQ(c.server.limits.max_header_count, 10u);
  EXPECT_EQ(c.server.limits.max_requests_per_connection, 0u);
  EXPECT_EQ(c.server.timeouts.linger, std::chrono::milliseconds(5));
  EXPECT_EQ(c.server.shutdown.timeout, std::chrono::milliseconds(7));
  EXPECT_EQ(c.server.pools.release_idle_after, std::chrono::milliseconds(10));
  EXPECT_EQ(c.log.level, "debug");
}

TEST(JsonConfig, UnknownKeysAreErrorsWithASuggestion) {
  auto [path, message] = failure(R"({"limits": {"max_body_byte": 5}})");
  EXPECT_EQ(path, "/limits/max_body_byte");
  EXPECT_NE(message.find("unknown key"), std::string::npos);
  EXPECT_NE(message.find("did you mean \"max_body_bytes\""), std::string::npos);
  EXPECT_EQ(failure(R"({"colour": 1})").first, "/colour");
}

TEST(JsonConfig, WrongTypesNameTheKey) {
  EXPECT_EQ(failure(R"({"threads": "two"})").first, "/threads");
  EXPECT_EQ(failure(R"({"limits": []})").first, "/limits");
  EXPECT_EQ(failure(R"({"listen": ["1.2.3.4:80", 5]})").first, "/listen/1");
  EXPECT_EQ(failure(R"({"pin_workers": 1})").first, "/pin_workers");
  EXPECT_EQ(failure(R"([])").first, "/");
}

TEST(JsonConfig, OutOfRangeValuesNameTheKeyAndTheRange) {
  auto [path, message] = failure(R"({"limits": {"max_header_count": 0}})");
  EXPECT_EQ(path, "/limits/max_header_count");
  EXPECT_NE(message.find("from 1 to 1000"), std::string::npos);
  EXPECT_EQ(failure(R"({"timeouts": {"idle_ms": -1}})").first, "/timeouts/idle_ms");
  EXPECT_EQ(failure(R"({"limits": {"max_body_bytes": 18446744073709551615}})").first,
            "/limits/max_body_bytes");
  EXPECT_EQ(failure(R"({"log": {"level": "loud"}})").first, "/log/level");
}

TEST(JsonConfig, CrossFieldRulesAreChecked) {
  EXPECT_EQ(failure(R"({"limits": {"max_request_line_bytes": 9000, "max_header_bytes": 8000}})").first,
            "/limits/max_request_line_bytes");
  EXPECT_EQ(failure(R"({"listen": []})").first, "/listen");
  auto [path, message] = failure(R"({"listen": ["0.0.0.0:80", "localhost:80"]})");
  EXPECT_EQ(path, "/listen/1");
  EXPECT_NE(message.find("localhost:80"), std::string::npos);
  EXPECT_EQ(failure("{\"server_header\": \"a\\nb\"}").first, "/server_header");
}

TEST(JsonConfig, SyntaxErrorsNameTheFile) {
  auto [path, message] = failure("{\"threads\": }");
  EXPECT_EQ(path, "");
  EXPECT_NE(message.find("test.json"), std::string::npos);
  EXPECT_NE(message.find("not valid JSON"), std::string::npos);
}

// --- Traffic protection ---

TEST(JsonConfig, ProtectionIsOffByDefault) {
  DaemonConfig c = parse_config("{}", "test.json");
  EXPECT_TRUE(c.trusted_proxies.empty());
  EXPECT_FALSE(c.use_forwarded_header);
  EXPECT_TRUE(c.rate_limits.empty());
  EXPECT_TRUE(c.breakers.empty());
  EXPECT_FALSE(c.load_shedding);
  EXPECT_TRUE(c.middleware.rate_limits.empty());
}

TEST(JsonConfig, ReadsRateLimits) {
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

TEST(JsonConfig, ReadsBreakersAndTheirUnits) {
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

TEST(JsonConfig, ReadsLoadShedding) {
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

TEST(JsonConfig, UnknownProtectionNamesAreErrorsAtTheirPath) {
  auto [path, message] = failure(R"({"rate_limits": {"a": {}, "b": {}},
    "middleware": {"rate_limit": ["a", "c"]}})");
  EXPECT_EQ(path, "/middleware/rate_limit/1");
  EXPECT_NE(message.find("unknown rate limit \"c\" (defined in \"rate_limits\": a b)"),
            std::string::npos)
      << message;
  auto [route_path, route_message] = failure(R"({"routes": [
    {"path": "/x", "handler": {"type": "echo"}},
    {"path": "/y", "handler": {"type": "echo"}, "breaker": "backend"}]})");
  EXPECT_EQ(route_path, "/routes/1/breaker");
  EXPECT_NE(route_message.find("\"breakers\" defines none"), std::string::npos) << route_message;
  EXPECT_EQ(failure(R"({"routes": [{"path": "/x", "handler": {"type": "echo"}, "rate_limit": ["nope"]}]})").first,
            "/routes/0/rate_limit/0");
}

TEST(JsonConfig, ALimitAppliesOnceToARequest) {
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {}}, "middleware": {"rate_limit": ["a", "a"]}})").first,
            "/middleware/rate_limit/1");
  auto [path, message] = failure(R"({"rate_limits": {"a": {}}, "middleware": {"rate_limit": ["a"]},
    "routes": [{"path": "/x", "handler": {"type": "echo"}, "rate_limit": ["a"]}]})");
  EXPECT_EQ(path, "/routes/0/rate_limit/0");
  EXPECT_NE(message.find("already applies to every request"), std::string::npos) << message;
}

TEST(JsonConfig, BadProtectionValuesNameTheKey) {
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"per": "hour"}}})").first, "/rate_limits/a/per");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"rate": 0}}})").first, "/rate_limits/a/rate");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"key": "cookie"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"key": "header:"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"key": "header:Bad Name"}}})").first, "/rate_limits/a/key");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"missing_header": "skip"}}})").first,
            "/rate_limits/a/missing_header");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"share": "shared"}}})").first, "/rate_limits/a/share");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"status": 200}}})").first, "/rate_limits/a/status");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"ipv6_prefix": 0}}})").first, "/rate_limits/a/ipv6_prefix");
  EXPECT_EQ(failure(R"({"rate_limits": {"a": {"burts": 5}}})").first, "/rate_limits/a/burts");
  EXPECT_EQ(failure(R"({"rate_limits": {"a b": {}}})").first, "/rate_limits/a b");
  EXPECT_EQ(failure(R"({"rate_limits": []})").first, "/rate_limits");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"failure_percent": 101}}})").first, "/breakers/b/failure_percent");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"window_ms": 5, "window_buckets": 10}}})").first,
            "/breakers/b/window_ms");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"open_ms": 5000, "max_open_ms": 1000}}})").first,
            "/breakers/b/max_open_ms");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"force": "half"}}})").first, "/breakers/b/force");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"failure_statuses": ["6xx"]}}})").first,
            "/breakers/b/failure_statuses/0");
  EXPECT_EQ(failure(R"({"breakers": {"b": {"failure_statuses": [500, 99]}}})").first,
            "/breakers/b/failure_statuses/1");
  EXPECT_EQ(failure(R"({"load_shedding": {"max_in_flight_per_worker": 0}})").first,
            "/load_shedding/max_in_flight_per_worker");
  EXPECT_EQ(failure(R"({"load_shedding": {"adaptive": {"min_limit": 10, "max_limit": 5}}})").first,
            "/load_shedding/adaptive/min_limit");
  EXPECT_EQ(failure(R"({"load_shedding": {"adaptive": {"initial_limit": 2000}}})").first,
            "/load_shedding/adaptive/initial_limit");
  EXPECT_EQ(failure(R"({"load_shedding": {"adaptive": {"tolerance_percent": 99}}})").first,
            "/load_shedding/adaptive/tolerance_percent");
  EXPECT_EQ(failure(R"({"trusted_proxies": "10.0.0.0/8"})").first, "/trusted_proxies");
  EXPECT_EQ(failure(R"({"routes": [{"path": "/x", "handler": {"type": "echo"}, "max_in_flight": -1}]})").first,
            "/routes/0/max_in_flight");
}

TEST(JsonConfig, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config_file("/nonexistent/surge.json"), ConfigError);
}

// --- Text that must be refused with a message, never end the process (issue 12) ---

std::string route_with_json_body(const std::string& body) {
  return R"({"routes": [{"path": "/d", "handler": {"type": "json", "body": )" + body + "}}]}";
}

std::string route_with_method(const std::string& method) {
  return R"({"routes": [{"path": "/d", "method": )" + method +
         R"(, "handler": {"type": "echo"}}]})";
}

std::string nested_arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += R"({"a":)";
  return out + "1" + std::string(depth, '}');
}

TEST(JsonConfig, ANumberBeyondADoubleIsRefusedAtItsPath) {
  auto [path, message] = failure(R"({"threads": 1e999})");
  EXPECT_EQ(path, "/threads");
  EXPECT_NE(message.find("test.json: /threads: number out of range: 1e999"), std::string::npos)
      << message;
  EXPECT_EQ(failure(R"({"limits": {"max_body_bytes": 1e999}})").first, "/limits/max_body_bytes");
  EXPECT_EQ(failure(R"({"timeouts": {"header_ms": -1e999}})").first, "/timeouts/header_ms");
  EXPECT_EQ(failure(route_with_json_body("[1, 2, 1e999]")).first, "/routes/0/handler/body/2");
  EXPECT_EQ(failure("1e999").first, "");
}

TEST(JsonConfig, ALargeFiniteNumberIsNotAnInteger) {
  auto [path, message] = failure(R"({"threads": 1e300})");
  EXPECT_EQ(path, "/threads");
  EXPECT_NE(message.find("expected an integer"), std::string::npos) << message;
  EXPECT_EQ(failure(R"({"limits": {"max_body_bytes": 99999999999999999999999}})").first,
            "/limits/max_body_bytes");
}

TEST(JsonConfig, ANegativeNumberWhereAnUnsignedIsExpectedIsRefused) {
  auto [path, message] = failure(R"({"pools": {"buffers_per_worker": -1}})");
  EXPECT_EQ(path, "/pools/buffers_per_worker");
  EXPECT_NE(message.find("from 0 to"), std::string::npos) << message;
  EXPECT_EQ(failure(R"({"threads": -1})").first, "/threads");
  EXPECT_EQ(failure(R"({"limits": {"max_body_bytes": -9223372036854775808}})").first,
            "/limits/max_body_bytes");
}

TEST(JsonConfig, DeepNestingInAHandlerBodyIsRefusedNamingTheLimit) {
  for (const std::string& body : {nested_arrays(100'000), nested_objects(100'000)}) {
    auto [path, message] = failure(route_with_json_body(body));
    EXPECT_EQ(path.rfind("/routes/0/handler/body/", 0), 0u) << path;
    EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(JsonConfig, DeepNestingInARouteMethodIsRefusedNamingTheLimit) {
  for (const std::string& method : {nested_arrays(100'000), nested_objects(100'000)}) {
    auto [path, message] = failure(route_with_method(method));
    EXPECT_EQ(path.rfind("/routes/0/method/", 0), 0u) << path;
    EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
  }
}

TEST(JsonConfig, NestingUpToTheLimitIsAccepted) {
  // The document, the routes, a route and its handler are 4 levels: 60 are left for the body.
  DaemonConfig c = parse_config(route_with_json_body(nested_arrays(60)), "test.json");
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(std::get<JsonHandlerConfig>(c.routes[0].handler).body_json, nested_arrays(60));
  auto [path, message] = failure(route_with_json_body(nested_arrays(61)));
  EXPECT_EQ(path, "/routes/0/handler/body" + [] {
    std::string zeros;
    for (int i = 0; i < 60; ++i) zeros += "/0";
    return zeros;
  }());
}

TEST(JsonConfig, MalformedTextIsAConfigError) {
  for (const std::string text :
       {std::string("{\"threads\": 1"), std::string("{} {}"), std::string("\xff"),
        std::string("{\"a\xff\": 1}"), std::string(R"({"server_header": "\ud800"})"),
        std::string(""), std::string("[") + std::string(70, '{')}) {
    EXPECT_THROW(parse_config(text, "test.json"), ConfigError) << text;
  }
}

}  // namespace
}  // namespace surge::detail
