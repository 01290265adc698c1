// validate() of the traffic protection configs (<surge/traffic_protection.hpp>): the one place
// their rules are written. The configuration loader reports a broken rule at its JSON path; the
// factories (make_rate_limit, make_circuit_breaker, make_load_shedder) refuse a struct built by
// hand with the same words.

#include <surge/traffic_protection.hpp>

#include "config/field_rules.hpp"
#include "http/grammar.hpp"

namespace surge {
namespace {

using detail::FieldCheck;

// The subject of the messages: `rate limit "api"` (a name that is itself wrong is not repeated).
FieldCheck check_for(const std::string& what, const std::string& name) {
  const FieldCheck check(what);
  check.require(detail::is_printable_name(name), "name",
                "expected 1 to 256 printable ASCII characters without '\"' or '\\', got \"" + name + "\"");
  return FieldCheck(what + " \"" + name + "\"");
}

}  // namespace

void validate(const RateLimitConfig& c) {
  const FieldCheck check = check_for("rate limit", c.name);
  check.fields(c);
  check.require(c.per > std::chrono::nanoseconds::zero(), "per", "must be positive");
  check.require(c.key != RateLimitKey::kHeader || detail::is_token(c.header), "key",
                "expected \"client_address\", \"header:<Header-Name>\", \"route\" or \"none\"");
  check.require(c.share != RateLimitShare::kShared || c.key == RateLimitKey::kNone, "share",
                "\"shared\" applies only to \"key\": \"none\" (one bucket for the process)");
}

void validate(const CircuitBreakerConfig& c) {
  const FieldCheck check = check_for("circuit breaker", c.name);
  check.fields(c);
  // A bucket shorter than a millisecond would be empty.
  check.require(c.window.count() >= c.window_buckets, "window_ms", "must be at least window_buckets milliseconds");
  check.require(c.max_open >= c.open, "max_open_ms", "must not be shorter than open_ms");
  for (std::size_t i = 0; i < c.failure_statuses.size(); ++i) {
    const StatusRange& r = c.failure_statuses[i];
    check.require(detail::kStatusRange.contains(r.first) && detail::kStatusRange.contains(r.last) && r.first <= r.last,
                  "failure_statuses/" + std::to_string(i),
                  "expected a status from 100 to 599 or a class \"1xx\" to \"5xx\"");
  }
}

void validate(const AdaptiveConcurrencyConfig& c) {
  const FieldCheck check;
  check.fields(c);
  check.require(c.min_limit <= c.max_limit, "min_limit", "must not exceed max_limit");
  check.require(c.initial_limit >= c.min_limit && c.initial_limit <= c.max_limit, "initial_limit",
                "must be within min_limit..max_limit");
}

void validate(const LoadShedConfig& c) {
  const FieldCheck check = check_for("load shedding", c.name);
  check.fields(c);
  if (c.adaptive.enabled) check.nested("adaptive", [&] { validate(c.adaptive); });
}

}  // namespace surge
