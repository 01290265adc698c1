#pragma once
// KeyedLimiter: one token bucket per key (client address, API key, ...) in a bounded table.

#include <cstdint>

#include "limit/clock.hpp"
#include "limit/key_table.hpp"
#include "limit/limit_key.hpp"
#include "limit/token_bucket.hpp"

namespace surge::detail {

struct KeyedLimiterConfig {
  // The limit each key gets, as this worker enforces it (see per_worker_config()).
  TokenBucketConfig bucket;
  // Keys tracked by this worker; the least recently used is forgotten beyond it. About 44 bytes
  // per key (KeyTable). Default 65536 (under 3 MB per worker).
  std::uint32_t max_keys = 65536;
};

/// What an operator needs to see whether max_keys is large enough.
struct KeyedLimiterStats {
  std::uint32_t keys = 0;
  std::uint32_t max_keys = 0;
  std::uint64_t evictions = 0;
  // Evictions of a key that was still limited (its bucket not yet full again). Forgetting it
  // gives that client a full bucket on its next request: nonzero means max_keys is too small for
  // the number of clients active within one bucket-refill time.
  std::uint64_t evictions_while_limited = 0;
};

/// Per-worker, single-threaded; allocates only in the constructor. An unknown key starts with a
/// full bucket. Evicting a key whose bucket has refilled loses nothing: its state equals a new
/// key's. Evicting one that has not forgives its debt; that is counted.
class KeyedLimiter final {
 public:
  /// `seed` keys the table's index hash; draw it at random once per process.
  KeyedLimiter(const KeyedLimiterConfig& config, const SipKey& seed);

  /// Takes n tokens from the key's bucket if they are all there (see TokenBucketPolicy).
  /// Allowed or not, the key becomes the most recently used.
  TokenBucketResult try_acquire(const LimitKey& key, Clock::time_point now, std::uint32_t n = 1);
  /// The key's bucket without taking tokens (a full bucket for an unknown key); keeps recency.
  TokenBucketResult peek(const LimitKey& key, Clock::time_point now) const;

  KeyedLimiterStats stats() const;
  const TokenBucketPolicy& policy() const { return policy_; }

 private:
  TokenBucketPolicy policy_;
  KeyTable table_;
  std::uint64_t evictions_while_limited_ = 0;
};

}  // namespace surge::detail
