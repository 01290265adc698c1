#include "limit/token_bucket.hpp"

#include <algorithm>

namespace surge::detail {
namespace {

// 2^60 ns (36 years): keeps max(TAT, now) + n*T inside int64 for any `now` below 2^61 ns.
constexpr std::int64_t kMaxTolerance = std::int64_t{1} << 60;

std::uint32_t whole_tokens(std::int64_t debt, std::int64_t tolerance, std::int64_t interval) {
  // debt can exceed the tolerance only if the state was built under a larger burst (reload).
  return debt >= tolerance ? 0 : static_cast<std::uint32_t>((tolerance - debt) / interval);
}

}  // namespace

TokenBucketPolicy::TokenBucketPolicy(const TokenBucketConfig& config) {
  const std::int64_t per = std::max<std::int64_t>(config.per.count(), 1);
  const std::int64_t rate = std::max<std::uint32_t>(config.rate, 1);
  // Rounded up: a shorter interval would admit more than `rate` per `per`.
  interval_ns_ = std::min(per / rate + (per % rate != 0 ? 1 : 0), kMaxTolerance);
  const std::int64_t burst = std::max<std::uint32_t>(config.burst, 1);
  burst_ = static_cast<std::uint32_t>(std::min(burst, kMaxTolerance / interval_ns_));
  tolerance_ns_ = std::int64_t{burst_} * interval_ns_;
}

TokenBucketResult TokenBucketPolicy::try_acquire(Clock::time_point& tat, Clock::time_point now,
                                                 std::uint32_t n) const {
  const std::int64_t now_ns = to_ns(now);
  const std::int64_t base = std::max(to_ns(tat), now_ns);
  // debt: how long until the bucket is full; tokens there now = (tolerance - debt) / interval.
  const std::int64_t debt = base - now_ns;
  if (n > burst_) {
    return {false, whole_tokens(debt, tolerance_ns_, interval_ns_), Clock::duration::max(),
            Clock::duration(debt)};
  }
  const std::int64_t new_debt = debt + std::int64_t{n} * interval_ns_;
  if (new_debt > tolerance_ns_) {
    return {false, whole_tokens(debt, tolerance_ns_, interval_ns_),
            Clock::duration(new_debt - tolerance_ns_), Clock::duration(debt)};
  }
  tat = from_ns(base + std::int64_t{n} * interval_ns_);
  return {true, whole_tokens(new_debt, tolerance_ns_, interval_ns_), Clock::duration::zero(),
          Clock::duration(new_debt)};
}

TokenBucketResult TokenBucketPolicy::peek(Clock::time_point tat, Clock::time_point now) const {
  return try_acquire(tat, now, 0);
}

}  // namespace surge::detail
