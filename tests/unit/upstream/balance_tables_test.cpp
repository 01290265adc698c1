#include "upstream/balance_tables.hpp"

#include <gtest/gtest.h>

#include "unit/upstream/balance_fixture.hpp"

namespace surge::detail {
namespace {

TEST(SmoothSchedule, GivesNginxsOrder) {
  EXPECT_EQ(smooth_schedule({5, 1, 1}), (std::vector<std::uint32_t>{0, 0, 1, 0, 2, 0, 0}));
  // The same order from weights with a common divisor, in a cycle as short.
  EXPECT_EQ(smooth_schedule({500, 100, 100}), (std::vector<std::uint32_t>{0, 0, 1, 0, 2, 0, 0}));
  EXPECT_EQ(smooth_schedule({1, 1, 1}), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_TRUE(smooth_schedule({}).empty());
}

TEST(BalanceTables, BuildsOnlyTheTableThePolicyNeeds) {
  EXPECT_EQ(BalanceTables(equal_hosts(3), BalancePolicy::kLeastRequest).ring(), nullptr);
  EXPECT_EQ(BalanceTables(equal_hosts(3), BalancePolicy::kLeastRequest).maglev(), nullptr);
  EXPECT_NE(BalanceTables(equal_hosts(3), BalancePolicy::kRingHash).ring(), nullptr);
  EXPECT_EQ(BalanceTables(equal_hosts(3), BalancePolicy::kRingHash).maglev(), nullptr);
  EXPECT_NE(BalanceTables(equal_hosts(3), BalancePolicy::kMaglev).maglev(), nullptr);
}

TEST(BalanceTables, DrawsHostsByWeight) {
  const std::vector<std::uint32_t> weights{1, 2, 3, 10};
  const BalanceTables tables(hosts_of(weights), BalancePolicy::kLeastRequest);
  std::vector<std::size_t> counts(weights.size(), 0);
  std::uint64_t state = 7;
  for (int i = 0; i < 160000; ++i)
    ++counts[tables.draw(mix64(++state))];
  const std::vector<double> shares = shares_of(counts);
  for (std::size_t h = 0; h < weights.size(); ++h)
    EXPECT_NEAR(shares[h], weight_shares(weights)[h], 0.01) << h;
}

}  // namespace
}  // namespace surge::detail
