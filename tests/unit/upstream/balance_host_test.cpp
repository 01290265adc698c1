#include "upstream/balance_host.hpp"

#include <string>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(HashKey, IsPinnedSoEveryInstanceAgrees) {
  // Computed once; a change here sends every hashed key to another host after an upgrade.
  EXPECT_EQ(hash_key(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(hash_key("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(hash_key("user-42"), 0xa39532c7ab051e8dULL);
  EXPECT_EQ(hash_key("10.0.0.7:9001"), 0x53165d5e9a55a403ULL);
}

TEST(HashKey, SpreadsNeighbouringKeysOverEveryBit) {
  // Keys one character apart land far apart: the ring and the Maglev slot need the low bits too.
  std::uint64_t all_or = 0;
  std::uint64_t all_and = ~std::uint64_t{0};
  for (char c = 'a'; c <= 'z'; ++c) {
    const std::uint64_t h = hash_key(std::string("user-") + c);
    all_or |= h;
    all_and &= h;
  }
  EXPECT_EQ(all_or, ~std::uint64_t{0});
  EXPECT_EQ(all_and, 0u);
}

}  // namespace
}  // namespace surge::detail
