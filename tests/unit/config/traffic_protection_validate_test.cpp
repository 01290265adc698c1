// validate() of <surge/traffic_protection.hpp>: one rule, the same words whether the configuration
// loader or a factory meets a struct that breaks it.

#include <surge/traffic_protection.hpp>

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config_failure.hpp"

namespace surge {
namespace {

// The InvalidField f() throws (fails the test if it throws nothing).
template <class F>
InvalidField refusal(F&& f) {
  try {
    f();
  } catch (const InvalidField& e) {
    return e;
  }
  ADD_FAILURE() << "accepted";
  return InvalidField("", "");
}

TEST(TrafficProtectionValidate, TheLoaderAndTheFactoryRefuseABreakerAlike) {
  CircuitBreakerConfig c;
  c.name = "db";
  c.window = std::chrono::milliseconds(5);
  c.window_buckets = 10;
  const InvalidField rule = refusal([&] { validate(c); });
  EXPECT_EQ(rule.field(), "window_ms");
  EXPECT_EQ(rule.reason(), "must be at least window_buckets milliseconds");
  EXPECT_STREQ(rule.what(), "circuit breaker \"db\": window_ms: must be at least window_buckets milliseconds");
  const InvalidField factory = refusal([&] { make_circuit_breaker(c); });
  EXPECT_STREQ(factory.what(), rule.what());
  auto [path, message] =
      test::config_failure(R"({"breakers": {"db": {"window_ms": 5, "window_buckets": 10}}})");
  EXPECT_EQ(path, "/breakers/db/" + rule.field());
  EXPECT_EQ(message, "test.json: " + path + ": " + rule.reason());
}

TEST(TrafficProtectionValidate, BreakerRangesAreTheFilesRanges) {
  CircuitBreakerConfig c;
  c.failure_percent = 101;
  EXPECT_EQ(refusal([&] { validate(c); }).reason(), "expected an integer from 0 to 100");
  c = {};
  c.max_open = std::chrono::milliseconds(1000);
  EXPECT_EQ(refusal([&] { validate(c); }).field(), "max_open_ms");
  c = {};
  c.failure_statuses = {{600, 700}};
  EXPECT_EQ(refusal([&] { validate(c); }).field(), "failure_statuses/0");
  c = {};
  c.name = "a\"b";
  EXPECT_EQ(refusal([&] { make_circuit_breaker(c); }).field(), "name");
  EXPECT_NO_THROW(validate(CircuitBreakerConfig{}));
}

TEST(TrafficProtectionValidate, RateLimits) {
  RateLimitConfig c;
  c.share = RateLimitShare::kShared;
  const InvalidField shared = refusal([&] { make_rate_limit(c); });
  EXPECT_EQ(shared.field(), "share");
  EXPECT_EQ(test::config_failure(R"({"rate_limits": {"default": {"share": "shared"}}})").second,
            "test.json: /rate_limits/default/share: " + shared.reason());
  c = {};
  c.key = RateLimitKey::kHeader;
  EXPECT_EQ(refusal([&] { validate(c); }).field(), "key");
  c = {};
  c.burst = 0;
  EXPECT_EQ(refusal([&] { validate(c); }).reason(), "expected an integer from 1 to 1000000000");
  c = {};
  c.per = std::chrono::nanoseconds(0);
  EXPECT_EQ(refusal([&] { validate(c); }).field(), "per");
  EXPECT_NO_THROW(validate(RateLimitConfig{}));
}

TEST(TrafficProtectionValidate, LoadSheddingChecksItsAdaptivePartWhenEnabled) {
  LoadShedConfig c;
  c.adaptive.min_limit = 10;
  c.adaptive.max_limit = 5;
  EXPECT_NO_THROW(validate(c));  // not enabled: not used
  EXPECT_EQ(refusal([&] { validate(c.adaptive); }).field(), "min_limit");
  c.adaptive.enabled = true;
  const InvalidField e = refusal([&] { make_load_shedder(c); });
  EXPECT_EQ(e.field(), "adaptive/min_limit");
  EXPECT_STREQ(e.what(), "load shedding \"global\": adaptive/min_limit: must not exceed max_limit");
  c = {};
  c.retry_after_s = 0;
  EXPECT_EQ(refusal([&] { validate(c); }).field(), "retry_after_s");
}

}  // namespace
}  // namespace surge
