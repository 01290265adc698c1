#include "limit/shared_token_bucket.hpp"

namespace surge::detail {

TokenBucketResult SharedTokenBucket::try_acquire(Clock::time_point now, std::uint32_t n) {
  std::int64_t observed = tat_ns_.load(std::memory_order_relaxed);
  for (;;) {
    Clock::time_point tat = from_ns(observed);
    const TokenBucketResult result = policy_.try_acquire(tat, now, n);
    if (!result.allowed) return result;
    // On failure `observed` is reloaded and the decision is remade against the newer TAT.
    if (tat_ns_.compare_exchange_weak(observed, to_ns(tat), std::memory_order_relaxed)) {
      return result;
    }
  }
}

TokenBucketResult SharedTokenBucket::peek(Clock::time_point now) const {
  return policy_.peek(from_ns(tat_ns_.load(std::memory_order_relaxed)), now);
}

}  // namespace surge::detail
