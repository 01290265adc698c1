#include "limit/key_table.hpp"

#include <cstring>
#include <stdexcept>

#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr SipKey kSeed{0x0123456789abcdefULL, 0xfedcba9876543210ULL};

LimitKey key(std::uint64_t n) {
  LimitKey k;
  std::memcpy(k.bytes.data() + 8, &n, sizeof n);
  return k;
}

Clock::time_point state(int n) {
  return Clock::time_point{} + std::chrono::seconds(n);
}

TEST(KeyTable, InsertsAndFindsKeys) {
  KeyTable table(4, kSeed);
  EXPECT_EQ(table.find(key(1)), nullptr);
  table.insert(key(1), state(1));
  table.insert(key(2), state(2));
  ASSERT_NE(table.find(key(1)), nullptr);
  EXPECT_EQ(*table.find(key(1)), state(1));
  *table.find(key(2)) = state(20);
  EXPECT_EQ(*table.get(key(2)), state(20));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.capacity(), 4u);
  EXPECT_FALSE(table.full());
}

TEST(KeyTable, EvictsTheLeastRecentlyUsedKeyWhenFull) {
  KeyTable table(3, kSeed);
  for (int i = 1; i <= 3; ++i)
    table.insert(key(i), state(i));
  EXPECT_TRUE(table.full());
  EXPECT_EQ(*table.oldest_key(), key(1));

  table.insert(key(4), state(4));
  EXPECT_FALSE(table.contains(key(1)));
  EXPECT_EQ(*table.oldest_key(), key(2));
  table.insert(key(5), state(5));
  EXPECT_FALSE(table.contains(key(2)));
  EXPECT_TRUE(table.contains(key(3)));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 2u);
}

TEST(KeyTable, FindMakesAKeyTheMostRecentlyUsed) {
  KeyTable table(3, kSeed);
  for (int i = 1; i <= 3; ++i)
    table.insert(key(i), state(i));
  ASSERT_NE(table.find(key(1)), nullptr);
  table.insert(key(4), state(4));
  EXPECT_TRUE(table.contains(key(1)));
  EXPECT_FALSE(table.contains(key(2)));  // 2 was the oldest once 1 was used
  EXPECT_EQ(*table.oldest(), state(3));
}

TEST(KeyTable, GetAndContainsDoNotChangeRecency) {
  KeyTable table(2, kSeed);
  table.insert(key(1), state(1));
  table.insert(key(2), state(2));
  EXPECT_NE(table.get(key(1)), nullptr);
  EXPECT_TRUE(table.contains(key(1)));
  table.insert(key(3), state(3));
  EXPECT_FALSE(table.contains(key(1)));
}

TEST(KeyTable, ErasedSlotsAreReusedWithoutEviction) {
  KeyTable table(2, kSeed);
  table.insert(key(1), state(1));
  table.insert(key(2), state(2));
  EXPECT_TRUE(table.erase(key(1)));
  EXPECT_FALSE(table.erase(key(1)));
  EXPECT_EQ(table.size(), 1u);
  table.insert(key(3), state(3));
  EXPECT_EQ(table.evictions(), 0u);
  EXPECT_TRUE(table.contains(key(2)));
  EXPECT_EQ(*table.get(key(3)), state(3));
  EXPECT_EQ(*table.oldest_key(), key(2));
}

TEST(KeyTable, EvictedSlotsAreReusedForNewKeys) {
  KeyTable table(1, kSeed);
  for (int i = 1; i <= 100; ++i) {
    Clock::time_point& s = table.insert(key(i), state(i));
    EXPECT_EQ(&s, table.get(key(i)));
    EXPECT_EQ(table.size(), 1u);
  }
  EXPECT_EQ(table.evictions(), 99u);
  EXPECT_EQ(*table.get(key(100)), state(100));
}

TEST(KeyTable, AMillionDistinctKeysStayWithinTheBoundWithoutAllocating) {
  constexpr std::uint32_t kMaxKeys = 4096;
  constexpr std::uint64_t kKeys = 1'000'000;
  KeyTable table(kMaxKeys, kSeed);
  const std::uint64_t before = test::allocation_count();
  for (std::uint64_t i = 0; i < kKeys; ++i) {
    if (table.find(key(i)) == nullptr) table.insert(key(i), state(1));
  }
  const std::uint64_t allocations = test::allocation_count() - before;
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(table.size(), kMaxKeys);
  EXPECT_EQ(table.evictions(), kKeys - kMaxKeys);
  // Exactly the newest kMaxKeys survive, oldest first in eviction order.
  for (std::uint64_t i = kKeys - kMaxKeys; i < kKeys; ++i)
    ASSERT_TRUE(table.contains(key(i))) << i;
  EXPECT_FALSE(table.contains(key(kKeys - kMaxKeys - 1)));
  EXPECT_EQ(*table.oldest_key(), key(kKeys - kMaxKeys));
}

TEST(KeyTable, RejectsAZeroBound) {
  EXPECT_THROW(KeyTable(0, kSeed), std::invalid_argument);
}

}  // namespace
}  // namespace surge::detail
