#pragma once
// Field rules: what the validate() of the config structs are made of, and every numeric key of
// those structs with its range. The list of a struct's numeric keys is written once, here
// (visit_fields): the section readers read with it, so a file's 101 for a percentage is refused
// at its JSON path while the document is read, and validate() checks a struct with it, so one
// built by hand meets the same rule in the same words. No JSON here: the components whose
// factories call validate() link this without the file format.

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <surge/builtin_middleware.hpp>
#include <surge/config.hpp>
#include <surge/error.hpp>
#include <surge/traffic_protection.hpp>

namespace surge::detail {

/// An inclusive range of integers.
struct IntRange {
  std::int64_t min = 0;
  std::int64_t max = 0;

  template <class T>
  constexpr bool contains(T value) const {
    return std::cmp_greater_equal(value, min) && std::cmp_less_equal(value, max);
  }
  /// "expected an integer from <min> to <max>": the words of a reader and of validate().
  std::string message() const;
};

inline constexpr std::int64_t kMaxInt = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t kOneGiB = std::int64_t{1} << 30;
inline constexpr std::int64_t kOneDayMs = std::int64_t{24} * 3600 * 1000;
inline constexpr std::int64_t kMaxInFlight = 1'000'000;  // requests in progress per worker

/// ServerConfig's own numeric keys: "threads" has words of its own in validate() (the command
/// line sets it too).
struct ServerRanges {
  static constexpr IntRange kThreads{0, 1024};
  static constexpr IntRange kBacklog{1, 1 << 20};
};

/// A number a struct holds as a count: durations in milliseconds (their keys end in "_ms").
inline std::int64_t count_of(std::chrono::milliseconds duration) { return duration.count(); }
template <std::integral T>
T count_of(T value) {
  return value;
}

/// What validate() throws through: InvalidField naming the field (its key in a configuration
/// file, relative to the struct) and the subject the struct configures (`circuit breaker "db"`),
/// so a factory's message says whose field it is.
class FieldCheck final {
 public:
  explicit FieldCheck(std::string subject = {}) : subject_(std::move(subject)) {}

  template <class T>
  void range(const std::string& field, T value, IntRange range) const {
    if (!range.contains(count_of(value))) fail(field, range.message());
  }
  /// Every numeric key of `config` within its range (visit_fields), named below `prefix`.
  template <class Config>
  void fields(const Config& config, const std::string& prefix = {}) const;
  void require(bool ok, const std::string& field, const std::string& reason) const {
    if (!ok) fail(field, reason);
  }
  /// Runs the validate() of a struct held in field `prefix`: its fields are named below it
  /// ("adaptive/min_limit").
  void nested(const std::string& prefix, const std::function<void()>& validate) const;
  [[noreturn]] void fail(const std::string& field, const std::string& reason) const;

 private:
  std::string subject_;
};

/// Names of rate limits and breakers: 1..256 printable ASCII characters without '"' or '\' (they
/// are quoted in header fields and log lines).
bool is_printable_name(std::string_view name);

// ---------------------------------------------------------------------------------------------
// The numeric keys of each struct, in the order a file's keys are read: visit(key, field, range)
// with field an integer or a std::chrono::milliseconds, const or not as the struct is.

/// C is Config, const or not.
template <class C, class Config>
concept IsConfig = std::same_as<std::remove_const_t<C>, Config>;

template <class C, class Visit>
  requires IsConfig<C, LimitsConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("max_request_line_bytes", c.max_request_line_bytes, IntRange{64, 1 << 20});
  visit("max_header_bytes", c.max_header_bytes, IntRange{256, 1 << 20});
  visit("max_header_count", c.max_header_count, IntRange{1, 1000});
  visit("max_body_bytes", c.max_body_bytes, IntRange{0, kOneGiB});  // bodies are held in memory
  visit("max_connections_per_worker", c.max_connections_per_worker, IntRange{1, 1 << 22});
  visit("max_requests_per_connection", c.max_requests_per_connection, IntRange{0, kMaxInt});
  visit("max_pipelined_responses", c.max_pipelined_responses, IntRange{1, 4096});
}

template <class C, class Visit>
  requires IsConfig<C, TimeoutsConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("header_ms", c.header, IntRange{1, kOneDayMs});
  visit("body_ms", c.body, IntRange{1, kOneDayMs});
  visit("body_min_bytes_per_s", c.body_min_bytes_per_s, IntRange{0, kOneGiB});
  visit("send_min_bytes_per_s", c.send_min_bytes_per_s, IntRange{0, kOneGiB});
  visit("min_rate_grace_ms", c.min_rate_grace, IntRange{1, kOneDayMs});
  visit("idle_ms", c.idle, IntRange{1, kOneDayMs});
  visit("write_ms", c.write, IntRange{1, kOneDayMs});
  visit("linger_ms", c.linger, IntRange{1, kOneDayMs});
  visit("handler_ms", c.handler, IntRange{1, kOneDayMs});
}

template <class C, class Visit>
  requires IsConfig<C, ShutdownConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("drain_delay_ms", c.drain_delay, IntRange{0, kOneDayMs});
  visit("timeout_ms", c.timeout, IntRange{0, kOneDayMs});
}

template <class C, class Visit>
  requires IsConfig<C, PoolsConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("buffer_bytes", c.buffer_bytes, IntRange{1024, 1 << 20});
  visit("buffers_per_worker", c.buffers_per_worker, IntRange{0, 1 << 22});
  visit("contexts_per_worker", c.contexts_per_worker, IntRange{0, 1 << 22});
  visit("release_idle_after_ms", c.release_idle_after, IntRange{1, kOneDayMs});
}

template <class C, class Visit>
  requires IsConfig<C, OffloadConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("threads", c.threads, IntRange{0, 1024});
  visit("queue", c.queue, IntRange{1, 1 << 20});
}

template <class C, class Visit>
  requires IsConfig<C, RateLimitConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("rate", c.rate, IntRange{1, 1'000'000'000});
  visit("burst", c.burst, IntRange{1, 1'000'000'000});
  visit("ipv6_prefix", c.ipv6_prefix, IntRange{1, 128});
  visit("max_keys", c.max_keys, IntRange{1, 1 << 24});
  visit("status", c.status, IntRange{400, 599});
}

/// failure_statuses' entries: a status, or the first of a class ("5xx").
inline constexpr IntRange kStatusRange{100, 599};

template <class C, class Visit>
  requires IsConfig<C, CircuitBreakerConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("window_ms", c.window, IntRange{1, kOneDayMs});
  visit("window_buckets", c.window_buckets, IntRange{1, 1000});
  visit("min_requests", c.min_requests, IntRange{1, kMaxInt});
  visit("failure_percent", c.failure_percent, IntRange{0, 100});
  visit("slow_call_ms", c.slow_call, IntRange{1, kOneDayMs});
  visit("slow_call_percent", c.slow_call_percent, IntRange{0, 100});
  visit("consecutive_failures", c.consecutive_failures, IntRange{0, kMaxInt});
  visit("open_ms", c.open, IntRange{1, kOneDayMs});
  visit("open_multiplier_percent", c.open_multiplier_percent, IntRange{100, 10'000});
  visit("max_open_ms", c.max_open, IntRange{1, kOneDayMs});
  visit("half_open_max_calls", c.half_open_max_calls, IntRange{1, 10'000});
}

template <class C, class Visit>
  requires IsConfig<C, AdaptiveConcurrencyConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("initial_limit", c.initial_limit, IntRange{1, kMaxInFlight});
  visit("min_limit", c.min_limit, IntRange{1, kMaxInFlight});
  visit("max_limit", c.max_limit, IntRange{1, kMaxInFlight});
  visit("tolerance_percent", c.tolerance_percent, IntRange{100, 10'000});
  visit("backoff_percent", c.backoff_percent, IntRange{0, 100});
  visit("increase", c.increase, IntRange{0, kMaxInFlight});
  visit("window_ms", c.window, IntRange{1, kOneDayMs});
  visit("min_samples", c.min_samples, IntRange{1, kMaxInFlight});
  visit("probe_interval_ms", c.probe_interval, IntRange{0, kOneDayMs});
}

template <class C, class Visit>
  requires IsConfig<C, LoadShedConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("max_in_flight_per_worker", c.max_in_flight_per_worker, IntRange{1, kMaxInFlight});
  visit("retry_after_s", c.retry_after_s, IntRange{1, 3600});
}

template <class C, class Visit>
  requires IsConfig<C, RequestIdConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("max_length", c.max_length, IntRange{1, 1024});
}

template <class C, class Visit>
  requires IsConfig<C, CorsConfig>
void visit_fields(C& c, Visit&& visit) {
  visit("max_age_s", c.max_age, IntRange{0, 7 * 24 * 3600});
}

template <class Config>
void FieldCheck::fields(const Config& config, const std::string& prefix) const {
  visit_fields(config, [&](const char* key, const auto& field, IntRange r) { range(prefix + key, field, r); });
}

}  // namespace surge::detail
