#include "upstream/hash_ring.hpp"

#include <algorithm>
#include <iostream>

#include <gtest/gtest.h>

#include "unit/upstream/balance_fixture.hpp"
#include "upstream/balancer.hpp"

namespace surge::detail {
namespace {

constexpr std::size_t kKeys = 100000;

std::vector<std::string> ring_owners(const std::vector<BalanceHost>& hosts) {
  const HashRing ring(hosts);
  return owners(hosts, kKeys, [&](std::uint64_t key) { return ring.host_at(ring.point_of(key)); });
}

TEST(HashRing, GivesEachHostPointsByWeight) {
  const HashRing ring(hosts_of({1, 2, 3}));
  EXPECT_EQ(ring.size(), 6 * HashRing::kPointsPerUnit);
  EXPECT_EQ(ring.points_of(0), HashRing::kPointsPerUnit);
  EXPECT_EQ(ring.points_of(2), 3 * HashRing::kPointsPerUnit);
  // Equal weights give the same points whatever their value.
  EXPECT_EQ(HashRing(hosts_of({100, 100})).points_of(1), HashRing::kPointsPerUnit);
  EXPECT_EQ(HashRing(hosts_of(std::vector<std::uint32_t>(100, 1000))).size(),
            100 * HashRing::kPointsPerUnit);
  // Past the cap every host gets fewer points, still by weight.
  const HashRing capped(hosts_of({1000, 999}));
  EXPECT_LE(capped.size(), HashRing::kMaxPoints);
  EXPECT_EQ(capped.points_of(0), HashRing::kMaxPoints / 1999 * 1000);
  EXPECT_EQ(HashRing({}).size(), 0u);
}

TEST(HashRing, DependsOnTheAddressesNotTheirOrder) {
  std::vector<BalanceHost> hosts = hosts_of({1, 2, 3, 1, 1});
  const std::vector<std::string> before = ring_owners(hosts);
  std::reverse(hosts.begin(), hosts.end());
  EXPECT_EQ(moved_share(before, ring_owners(hosts)), 0.0);
}

TEST(HashRing, SpreadsTenHostsEvenly) {
  std::vector<std::size_t> counts(10, 0);
  const HashRing ring(equal_hosts(10));
  for (std::size_t i = 0; i < kKeys; ++i)
    ++counts[ring.host_at(ring.point_of(key_of(i)))];
  const auto [least, most] = std::minmax_element(counts.begin(), counts.end());
  std::cout << "[ spread ] ring_hash 10 hosts: " << *least << " .. " << *most << " keys of "
            << kKeys << "\n";
  EXPECT_GT(*least, 0.88 * kKeys / 10);
  EXPECT_LT(*most, 1.12 * kKeys / 10);
}

TEST(HashRing, AddingAHostMovesAboutOneKeyInNPlusOneAllOntoIt) {
  for (const std::size_t n : {5u, 10u}) {
    const std::vector<BalanceHost> hosts = equal_hosts(n + 1);
    const std::vector<std::string> before = ring_owners({hosts.begin(), hosts.end() - 1});
    const std::vector<std::string> after = ring_owners(hosts);
    const double moved = moved_share(before, after);
    report_moved("ring_hash add 1 to " + std::to_string(n), moved,
                 1.0 / static_cast<double>(n + 1));
    EXPECT_GT(moved, 0.5 / static_cast<double>(n + 1));
    EXPECT_LT(moved, 1.5 / static_cast<double>(n + 1));
    for (std::size_t i = 0; i < kKeys; ++i) {
      if (before[i] != after[i]) {
        ASSERT_EQ(after[i], hosts.back().address);
      }
    }
  }
}

TEST(HashRing, RemovingAHostMovesOnlyItsKeys) {
  for (const std::size_t n : {5u, 10u}) {
    std::vector<BalanceHost> hosts = equal_hosts(n);
    const std::vector<std::string> before = ring_owners(hosts);
    const std::string removed =
        hosts[2].address;  // from the middle: the later hosts' indexes shift
    hosts.erase(hosts.begin() + 2);
    const std::vector<std::string> after = ring_owners(hosts);
    const double moved = moved_share(before, after);
    report_moved("ring_hash remove 1 of " + std::to_string(n), moved, 1.0 / static_cast<double>(n));
    EXPECT_GT(moved, 0.5 / static_cast<double>(n));
    EXPECT_LT(moved, 1.5 / static_cast<double>(n));
    for (std::size_t i = 0; i < kKeys; ++i) {
      if (before[i] != after[i]) {
        ASSERT_EQ(before[i], removed);
      }
    }
  }
}

TEST(HashRing, ARefusedHostsKeysGoClockwiseAndNoOtherKeyMoves) {
  // Refusing a host walks past its points: the same owners as a ring without it.
  const std::vector<BalanceHost> hosts = equal_hosts(5);
  const BalanceTables tables(hosts, BalancePolicy::kRingHash);
  UpstreamBalance config;
  config.policy = BalancePolicy::kRingHash;
  Balancer balancer(tables, config, 1);
  FakeView view({1, 1, 1, 1, 1});
  view.refused[2] = true;
  const std::vector<std::string> refused = owners(hosts, kKeys, [&](std::uint64_t key) {
    return balancer.pick(view, key, Clock::time_point{});
  });
  std::vector<BalanceHost> without = hosts;
  without.erase(without.begin() + 2);
  EXPECT_EQ(moved_share(refused, ring_owners(without)), 0.0);
  const double moved = moved_share(ring_owners(hosts), refused);
  EXPECT_NEAR(moved, 0.2, 0.05);
  // Two refused, neighbours or not: still only their keys move.
  view.refused[4] = true;
  without.erase(without.begin() + 3);
  EXPECT_EQ(moved_share(owners(hosts, kKeys,
                               [&](std::uint64_t key) {
                                 return balancer.pick(view, key, Clock::time_point{});
                               }),
                        ring_owners(without)),
            0.0);
}

}  // namespace
}  // namespace surge::detail
