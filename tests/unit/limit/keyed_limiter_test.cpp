#include "limit/keyed_limiter.hpp"

#include <cstring>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0{};
constexpr SipKey kSeed{7, 11};

LimitKey key(std::uint32_t n) {
  LimitKey k;
  std::memcpy(k.bytes.data(), &n, sizeof n);
  return k;
}

KeyedLimiterConfig config(std::uint32_t max_keys) {
  return {{10, 1s, 2}, max_keys};
}

TEST(KeyedLimiter, EachKeyHasItsOwnBucket) {
  KeyedLimiter limiter(config(16), kSeed);
  EXPECT_TRUE(limiter.try_acquire(key(1), kT0).allowed);
  EXPECT_TRUE(limiter.try_acquire(key(1), kT0).allowed);
  const TokenBucketResult denied = limiter.try_acquire(key(1), kT0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, 100ms);
  EXPECT_TRUE(limiter.try_acquire(key(2), kT0).allowed);
  EXPECT_EQ(limiter.stats().keys, 2u);
}

TEST(KeyedLimiter, UnknownKeyPeeksAsAFullBucketWithoutBeingAdded) {
  KeyedLimiter limiter(config(16), kSeed);
  EXPECT_EQ(limiter.peek(key(1), kT0).remaining, 2u);
  EXPECT_EQ(limiter.stats().keys, 0u);
  limiter.try_acquire(key(1), kT0);
  EXPECT_EQ(limiter.peek(key(1), kT0).remaining, 1u);
}

TEST(KeyedLimiter, EvictingALimitedKeyForgivesItAndIsCounted) {
  KeyedLimiter limiter(config(2), kSeed);
  limiter.try_acquire(key(1), kT0, 2);  // drained
  limiter.try_acquire(key(2), kT0);
  limiter.try_acquire(key(3), kT0);  // evicts 1, still limited
  KeyedLimiterStats stats = limiter.stats();
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.evictions_while_limited, 1u);
  EXPECT_EQ(stats.keys, 2u);
  EXPECT_EQ(stats.max_keys, 2u);
  EXPECT_TRUE(limiter.try_acquire(key(1), kT0, 2).allowed);  // forgotten: full again
}

TEST(KeyedLimiter, EvictingARefilledKeyLosesNothing) {
  KeyedLimiter limiter(config(1), kSeed);
  limiter.try_acquire(key(1), kT0, 2);
  limiter.try_acquire(key(2), kT0 + 200ms);  // key 1 has refilled by now
  EXPECT_EQ(limiter.stats().evictions, 1u);
  EXPECT_EQ(limiter.stats().evictions_while_limited, 0u);
}

TEST(KeyedLimiter, RefusedRequestsKeepAnAbusiveKeyRecent) {
  KeyedLimiter limiter(config(2), kSeed);
  limiter.try_acquire(key(1), kT0, 2);
  limiter.try_acquire(key(2), kT0);
  EXPECT_FALSE(limiter.try_acquire(key(1), kT0).allowed);  // refused, but used
  limiter.try_acquire(key(3), kT0);                        // evicts 2, not 1
  EXPECT_FALSE(limiter.try_acquire(key(1), kT0).allowed);
}

}  // namespace
}  // namespace surge::detail
