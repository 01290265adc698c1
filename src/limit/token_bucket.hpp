#pragma once
// TokenBucket: a GCRA rate limit (rate, burst) whose whole state is one time point.

#include <chrono>
#include <cstdint>

#include "limit/clock.hpp"

namespace surge::detail {

/// A rate limit as configured. Out-of-range values are clamped (rate 0 -> 1, burst 0 -> 1,
/// per <= 0 -> 1 ns); config loading is expected to reject them first.
struct TokenBucketConfig {
  // Tokens added per `per`. Default 10.
  std::uint32_t rate = 10;
  // The period `rate` is counted in: 1 s for r/s, 1 min for r/m (nginx's two units). Default 1 s.
  Clock::duration per = std::chrono::seconds(1);
  // Capacity in tokens: how many requests may arrive at once after an idle period. Default 10.
  // nginx's `burst=B nodelay` admits B + 1 at once, i.e. burst = B + 1 here.
  std::uint32_t burst = 10;
};

/// The answer to one try_acquire(). Durations are exact nanoseconds; round them up to whole
/// seconds for Retry-After and the RateLimit field.
struct TokenBucketResult {
  bool allowed = false;
  // Whole tokens left after this call (RateLimit `r=`).
  std::uint32_t remaining = 0;
  // Denied: time until `n` tokens are available (Retry-After). Zero when allowed. Duration::max()
  // when n exceeds the burst: such a request can never pass.
  Clock::duration retry_after{};
  // Time until the bucket is full again, i.e. the quota is restored (RateLimit `t=`).
  Clock::duration reset_after{};
};

/// The immutable half of a token bucket: the emission interval T (time per token, integer ns) and
/// the burst tolerance B x T. One policy serves every key of a limit; the per-key state is a
/// single time point, the theoretical arrival time (TAT) of the next request, so a million keys
/// cost 8 MB of state. Generic Cell Rate Algorithm (ITU-T I.371): a request of n tokens at `now`
/// passes iff max(TAT, now) + n*T - now <= B*T, and then TAT becomes max(TAT, now) + n*T. A bucket
/// idle for any length of time holds exactly B tokens, never more.
///
/// T is per / rate rounded up, so the limit is never exceeded; the error is under 1 ns per token
/// (rate 7/min admits 7 per 60.000000004 s). All arithmetic is int64 nanoseconds: the tolerance is
/// capped at 2^60 ns (36 years) and `now` must be below 2^61 ns since the clock's epoch.
/// Thread-safety: const member functions only; the state is the caller's.
class TokenBucketPolicy final {
 public:
  explicit TokenBucketPolicy(const TokenBucketConfig& config);

  /// Takes n tokens from the bucket whose state is `tat` if they are all there. Updates `tat` only
  /// when allowed. A default-constructed `tat` (the clock's epoch) is a full bucket. n == 0 peeks.
  TokenBucketResult try_acquire(Clock::time_point& tat, Clock::time_point now,
                                std::uint32_t n = 1) const;
  /// What try_acquire(tat, now, 0) would report: the tokens there now, without taking any.
  TokenBucketResult peek(Clock::time_point tat, Clock::time_point now) const;

  /// Time per token.
  Clock::duration interval() const { return Clock::duration(interval_ns_); }
  /// Capacity in tokens (the configured burst, unless clamped by the 2^60 ns tolerance cap).
  std::uint32_t burst() const { return burst_; }

 private:
  std::int64_t interval_ns_;
  std::int64_t tolerance_ns_;  // burst_ * interval_ns_
  std::uint32_t burst_;
};

/// One bucket with its own state, for a limit with no key. Single-threaded: one per worker (see
/// worker_share.hpp for splitting a process-wide limit, shared_token_bucket.hpp for one bucket
/// shared by all workers).
class TokenBucket final {
 public:
  explicit TokenBucket(const TokenBucketConfig& config) : policy_(config) {}

  TokenBucketResult try_acquire(Clock::time_point now, std::uint32_t n = 1) {
    return policy_.try_acquire(tat_, now, n);
  }
  TokenBucketResult peek(Clock::time_point now) const { return policy_.peek(tat_, now); }
  const TokenBucketPolicy& policy() const { return policy_; }

 private:
  TokenBucketPolicy policy_;
  Clock::time_point tat_{};
};

}  // namespace surge::detail
