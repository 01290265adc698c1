#pragma once
// Rejection: what the traffic-protection middleware (rate limit, circuit breaker, load shedder)
// share when they refuse a request: the answer, and a bound on the log lines a flood makes.

#include <chrono>
#include <cstdint>
#include <string_view>

#include <surge/context.hpp>

#include "limit/clock.hpp"
#include "limit/token_bucket.hpp"
#include "metrics/counter.hpp"

namespace surge::detail {

/// Whole seconds, rounded up (Retry-After and the RateLimit field's t=). Saturates at one day
/// for longer or unbounded (Duration::max()) waits.
std::uint64_t ceil_seconds(Clock::duration d);

/// Answers `status` with a text/plain `body` and `Retry-After: <retry_after_s>` (at least 1).
/// Headers added before (request id, CORS, RateLimit fields) stay.
void reject(Context& ctx, int status, std::string_view body, std::uint64_t retry_after_s);

/// Log lines about rejections, per worker: at most kLinesPerSecond per second (bursts of as many),
/// so a flood of rejections does not become a flood of log lines. A line written after some were
/// held back says how many. Single writer (its worker); suppressed_total() from any thread.
class LogThrottle final {
 public:
  static constexpr std::uint32_t kLinesPerSecond = 10;

  /// Whether a line may be written now. If so, `suppressed` is set to the lines held back since
  /// the last one written.
  bool allow(Clock::time_point now, std::uint64_t& suppressed);
  std::uint64_t suppressed_total() const { return total_.value(); }

 private:
  TokenBucket budget_{TokenBucketConfig{kLinesPerSecond, std::chrono::seconds(1), kLinesPerSecond}};
  std::uint64_t since_last_ = 0;
  Counter total_;
};

}  // namespace surge::detail
