#include "limit/keyed_limiter.hpp"

namespace surge::detail {

KeyedLimiter::KeyedLimiter(const KeyedLimiterConfig& config, const SipKey& seed)
    : policy_(config.bucket), table_(config.max_keys, seed) {}

TokenBucketResult KeyedLimiter::try_acquire(const LimitKey& key, Clock::time_point now,
                                            std::uint32_t n) {
  Clock::time_point* tat = table_.find(key);
  if (tat == nullptr) {
    // A TAT in the future is a bucket that is not full yet.
    if (table_.full() && *table_.oldest() > now) ++evictions_while_limited_;
    tat = &table_.insert(key, Clock::time_point{});
  }
  return policy_.try_acquire(*tat, now, n);
}

TokenBucketResult KeyedLimiter::peek(const LimitKey& key, Clock::time_point now) const {
  const Clock::time_point* tat = table_.get(key);
  return policy_.peek(tat != nullptr ? *tat : Clock::time_point{}, now);
}

KeyedLimiterStats KeyedLimiter::stats() const {
  return {table_.size(), table_.capacity(), table_.evictions(), evictions_while_limited_};
}

}  // namespace surge::detail
