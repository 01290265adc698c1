#include "upstream/maglev.hpp"

#include <algorithm>
#include <iostream>

#include <gtest/gtest.h>

#include "unit/upstream/balance_fixture.hpp"
#include "upstream/balancer.hpp"

namespace surge::detail {
namespace {

constexpr std::size_t kKeys = 100000;

std::vector<std::string> maglev_owners(const std::vector<BalanceHost>& hosts) {
  const MaglevTable table(hosts);
  return owners(hosts, kKeys,
                [&](std::uint64_t key) { return table.host_at(MaglevTable::slot_of(key)); });
}

// A Balancer over a Maglev table, with a view the test controls.
struct Picker {
  explicit Picker(const std::vector<BalanceHost>& hosts)
      : tables(hosts, BalancePolicy::kMaglev), balancer(tables, config(), 1) {}
  static UpstreamBalance config() {
    UpstreamBalance c;
    c.policy = BalancePolicy::kMaglev;
    return c;
  }
  std::size_t operator()(const FakeView& view, std::uint64_t key) {
    return balancer.pick(view, key, Clock::time_point{});
  }

  BalanceTables tables;
  Balancer balancer;
};

TEST(MaglevTable, FillsEverySlotByWeight) {
  for (const std::vector<std::uint32_t>& weights :
       {std::vector<std::uint32_t>{1, 1, 1}, {1, 2, 3}, {1, 1000, 7}}) {
    const MaglevTable table(hosts_of(weights));
    std::vector<std::size_t> slots;
    for (std::size_t h = 0; h < weights.size(); ++h)
      slots.push_back(table.slots_of(h));
    std::size_t total = 0;
    for (const std::size_t s : slots)
      total += s;
    EXPECT_EQ(total, MaglevTable::kSize);
    for (std::size_t h = 0; h < weights.size(); ++h) {
      EXPECT_NEAR(shares_of(slots)[h], weight_shares(weights)[h], 0.001) << h;
    }
  }
  EXPECT_TRUE(MaglevTable({}).empty());
}

TEST(MaglevTable, DependsOnTheHostsNotTheirOrder) {
  std::vector<BalanceHost> hosts = hosts_of({1, 2, 3, 1, 1});
  const std::vector<std::string> before = maglev_owners(hosts);
  std::reverse(hosts.begin(), hosts.end());
  EXPECT_EQ(moved_share(before, maglev_owners(hosts)), 0.0);
}

TEST(MaglevTable, SpreadsTenHostsEvenly) {
  std::vector<std::size_t> counts(10, 0);
  const MaglevTable table(equal_hosts(10));
  for (std::size_t i = 0; i < kKeys; ++i)
    ++counts[table.host_at(MaglevTable::slot_of(key_of(i)))];
  const auto [least, most] = std::minmax_element(counts.begin(), counts.end());
  std::cout << "[ spread ] maglev 10 hosts: " << *least << " .. " << *most << " keys of " << kKeys
            << "\n";
  EXPECT_GT(*least, 0.95 * kKeys / 10);
  EXPECT_LT(*most, 1.05 * kKeys / 10);
}

TEST(MaglevTable, AddingAHostMovesAboutOneKeyInNPlusOne) {
  for (const std::size_t n : {5u, 10u}) {
    const std::vector<BalanceHost> hosts = equal_hosts(n + 1);
    const std::vector<std::string> before = maglev_owners({hosts.begin(), hosts.end() - 1});
    const std::vector<std::string> after = maglev_owners(hosts);
    const double moved = moved_share(before, after);
    std::size_t elsewhere = 0;  // keys that moved between two old hosts
    for (std::size_t i = 0; i < kKeys; ++i)
      elsewhere += before[i] != after[i] && after[i] != hosts.back().address;
    report_moved("maglev add 1 to " + std::to_string(n), moved, 1.0 / static_cast<double>(n + 1));
    report_moved("maglev add 1 to " + std::to_string(n) + ", between old hosts",
                 static_cast<double>(elsewhere) / kKeys, 0);
    EXPECT_GT(moved, 0.5 / static_cast<double>(n + 1));
    EXPECT_LT(moved, 1.5 / static_cast<double>(n + 1));
    EXPECT_LT(static_cast<double>(elsewhere) / kKeys, 0.05);
  }
}

TEST(MaglevTable, RemovingAHostMovesFewKeysBesidesItsOwn) {
  for (const std::size_t n : {5u, 10u}) {
    std::vector<BalanceHost> hosts = equal_hosts(n);
    const std::vector<std::string> before = maglev_owners(hosts);
    const std::string removed = hosts[2].address;
    hosts.erase(hosts.begin() + 2);
    const std::vector<std::string> after = maglev_owners(hosts);
    const double moved = moved_share(before, after);
    std::size_t others = 0;  // keys that were not on the removed host and moved anyway
    for (std::size_t i = 0; i < kKeys; ++i)
      others += before[i] != after[i] && before[i] != removed;
    report_moved("maglev remove 1 of " + std::to_string(n), moved, 1.0 / static_cast<double>(n));
    report_moved("maglev remove 1 of " + std::to_string(n) + ", not its keys",
                 static_cast<double>(others) / kKeys, 0);
    EXPECT_GT(moved, 0.5 / static_cast<double>(n));
    EXPECT_LT(moved, 1.5 / static_cast<double>(n));
    EXPECT_LT(static_cast<double>(others) / kKeys, 0.05);
  }
}

TEST(MaglevTable, ARefusedHostsKeysSpreadByShareAndNoOtherKeyMoves) {
  const std::vector<std::uint32_t> weights{2, 1, 2, 4};
  const std::vector<BalanceHost> hosts = hosts_of(weights);
  Picker pick(hosts);
  FakeView view(weights);
  view.refused[0] = true;
  const std::vector<std::string> all = maglev_owners(hosts);
  std::vector<std::size_t> landed(hosts.size(), 0);
  for (std::size_t i = 0; i < kKeys; ++i) {
    const std::size_t host = pick(view, key_of(i));
    ASSERT_NE(host, 0u);
    if (all[i] != hosts[0].address) {
      ASSERT_EQ(hosts[host].address, all[i]) << "key " << i << " moved";
    } else {
      ++landed[host];
    }
  }
  // Host 0's keys over the others by their shares, 1:2:4.
  const std::vector<double> shares = shares_of(landed);
  std::cout << "[ refused ] maglev: host 0's keys went " << shares[1] << " " << shares[2] << " "
            << shares[3] << " (1/7 2/7 4/7)\n";
  EXPECT_NEAR(shares[1], 1.0 / 7, 0.02);
  EXPECT_NEAR(shares[2], 2.0 / 7, 0.02);
  EXPECT_NEAR(shares[3], 4.0 / 7, 0.02);
}

TEST(MaglevTable, ProbingPastMostRefusedHostsStillFindsOne) {
  // One host of 40 usable: probes that miss end in the scan, which is the same for a key each time.
  const std::vector<BalanceHost> hosts = equal_hosts(40);
  Picker pick(hosts);
  FakeView view(std::vector<std::uint32_t>(40, 1));
  std::fill(view.refused.begin(), view.refused.end(), true);
  view.refused[17] = false;
  for (std::size_t i = 0; i < 10000; ++i)
    ASSERT_EQ(pick(view, key_of(i)), 17u);
}

}  // namespace
}  // namespace surge::detail
