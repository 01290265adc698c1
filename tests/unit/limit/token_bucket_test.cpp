#include "limit/token_bucket.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0{};  // the clock's epoch: a fresh bucket is full here

TokenBucketConfig per_second(std::uint32_t rate, std::uint32_t burst) {
  return {rate, 1s, burst};
}

TEST(TokenBucket, BurstIsAvailableAtOnceThenDenied) {
  TokenBucket bucket(per_second(10, 5));
  for (std::uint32_t i = 1; i <= 5; ++i) {
    const TokenBucketResult r = bucket.try_acquire(kT0);
    EXPECT_TRUE(r.allowed);
    EXPECT_EQ(r.remaining, 5 - i);
    EXPECT_EQ(r.retry_after, 0ns);
    EXPECT_EQ(r.reset_after, i * 100ms);
  }
  const TokenBucketResult denied = bucket.try_acquire(kT0);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.remaining, 0u);
  EXPECT_EQ(denied.retry_after, 100ms);
  EXPECT_EQ(denied.reset_after, 500ms);
}

TEST(TokenBucket, RefillsOneTokenPerInterval) {
  TokenBucket bucket(per_second(10, 5));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(bucket.try_acquire(kT0).allowed);

  const TokenBucketResult early = bucket.try_acquire(kT0 + 99ms);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after, 1ms);

  const TokenBucketResult on_time = bucket.try_acquire(kT0 + 100ms);
  EXPECT_TRUE(on_time.allowed);
  EXPECT_EQ(on_time.remaining, 0u);
  EXPECT_FALSE(bucket.try_acquire(kT0 + 100ms).allowed);

  // 250 ms later 2.5 tokens have come back: two whole ones.
  EXPECT_EQ(bucket.peek(kT0 + 350ms).remaining, 2u);
  EXPECT_TRUE(bucket.try_acquire(kT0 + 350ms).allowed);
  EXPECT_TRUE(bucket.try_acquire(kT0 + 350ms).allowed);
  const TokenBucketResult half = bucket.try_acquire(kT0 + 350ms);
  EXPECT_FALSE(half.allowed);
  EXPECT_EQ(half.retry_after, 50ms);
}

TEST(TokenBucket, TakesSeveralTokensAtOnceOrNone) {
  TokenBucket bucket(per_second(10, 10));
  const TokenBucketResult four = bucket.try_acquire(kT0, 4);
  EXPECT_TRUE(four.allowed);
  EXPECT_EQ(four.remaining, 6u);

  const TokenBucketResult seven = bucket.try_acquire(kT0, 7);
  EXPECT_FALSE(seven.allowed);
  EXPECT_EQ(seven.remaining, 6u);  // a refused request takes nothing
  EXPECT_EQ(seven.retry_after, 100ms);

  const TokenBucketResult six = bucket.try_acquire(kT0, 6);
  EXPECT_TRUE(six.allowed);
  EXPECT_EQ(six.remaining, 0u);
  EXPECT_EQ(six.reset_after, 1s);
}

TEST(TokenBucket, LongIdleDoesNotAccumulateBeyondBurst) {
  TokenBucket bucket(per_second(10, 5));
  ASSERT_TRUE(bucket.try_acquire(kT0, 5).allowed);
  const Clock::time_point later = kT0 + 24h;
  EXPECT_EQ(bucket.peek(later).remaining, 5u);
  EXPECT_EQ(bucket.peek(later).reset_after, 0ns);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(bucket.try_acquire(later).allowed);
  EXPECT_FALSE(bucket.try_acquire(later).allowed);
}

TEST(TokenBucket, CountsRatePerMinute) {
  TokenBucket bucket({6, 1min, 2});  // one token every 10 s
  EXPECT_EQ(bucket.policy().interval(), 10s);
  EXPECT_TRUE(bucket.try_acquire(kT0).allowed);
  EXPECT_TRUE(bucket.try_acquire(kT0).allowed);
  EXPECT_EQ(bucket.try_acquire(kT0).retry_after, 10s);
  EXPECT_TRUE(bucket.try_acquire(kT0 + 10s).allowed);
  const TokenBucketResult r = bucket.try_acquire(kT0 + 15s);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after, 5s);
  EXPECT_EQ(r.reset_after, 15s);  // two tokens owed: one at 20 s, one at 30 s
}

TEST(TokenBucket, RequestLargerThanBurstNeverPassesAndTakesNothing) {
  TokenBucket bucket(per_second(10, 3));
  const TokenBucketResult r = bucket.try_acquire(kT0, 4);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.retry_after, Clock::duration::max());
  EXPECT_EQ(r.remaining, 3u);
  EXPECT_TRUE(bucket.try_acquire(kT0, 3).allowed);
}

TEST(TokenBucket, IntervalIsRoundedUpSoTheRateIsNeverExceeded) {
  EXPECT_EQ(TokenBucketPolicy(per_second(3, 1)).interval(), 333'333'334ns);
  EXPECT_EQ(TokenBucketPolicy({7, 1min, 1}).interval(), 8'571'428'572ns);
  EXPECT_EQ(TokenBucketPolicy(per_second(1'000'000, 1)).interval(), 1us);

  // Three per second: the fourth token of a drained bucket is 2 ns late at t = 1 s.
  TokenBucket bucket(per_second(3, 3));
  ASSERT_TRUE(bucket.try_acquire(kT0, 3).allowed);
  EXPECT_EQ(bucket.try_acquire(kT0 + 1s, 3).retry_after, 2ns);
}

TEST(TokenBucket, PeekTakesNothing) {
  TokenBucket bucket(per_second(10, 2));
  EXPECT_EQ(bucket.peek(kT0).remaining, 2u);
  EXPECT_EQ(bucket.peek(kT0).remaining, 2u);
  EXPECT_TRUE(bucket.try_acquire(kT0).allowed);
  EXPECT_EQ(bucket.peek(kT0).remaining, 1u);
}

TEST(TokenBucket, ClampsZeroRateAndBurstToOne) {
  const TokenBucketPolicy policy({0, 1s, 0});
  EXPECT_EQ(policy.interval(), 1s);
  EXPECT_EQ(policy.burst(), 1u);
}

TEST(TokenBucket, OnePolicyServesManyIndependentStates) {
  const TokenBucketPolicy policy(per_second(10, 1));
  Clock::time_point a{}, b{};
  EXPECT_TRUE(policy.try_acquire(a, kT0).allowed);
  EXPECT_FALSE(policy.try_acquire(a, kT0).allowed);
  EXPECT_TRUE(policy.try_acquire(b, kT0).allowed);
  EXPECT_EQ(a, kT0 + 100ms);  // the whole state: the theoretical arrival time
  EXPECT_EQ(sizeof(a), 8u);
}

}  // namespace
}  // namespace surge::detail
