#include "upstream/balancer.hpp"

#include <cmath>
#include <deque>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"
#include "unit/upstream/balance_fixture.hpp"

namespace surge::detail {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point(std::chrono::hours(1));

UpstreamBalance config_of(BalancePolicy policy) {
  UpstreamBalance c;
  c.policy = policy;
  return c;
}

bool hashing(BalancePolicy p) {
  return p == BalancePolicy::kRingHash || p == BalancePolicy::kMaglev;
}

std::string name_of(BalancePolicy p) {
  switch (p) {
    case BalancePolicy::kRoundRobin:
      return "round_robin";
    case BalancePolicy::kLeastRequest:
      return "least_request";
    case BalancePolicy::kPeakEwma:
      return "peak_ewma";
    case BalancePolicy::kRingHash:
      return "ring_hash";
    case BalancePolicy::kMaglev:
      return "maglev";
  }
  return "?";
}

// A proxy at a fixed concurrency with equal answer times: each request is held while the next
// `in_flight` are picked, then ends (0: each ends before the next is picked, an idle upstream).
// Hashing policies get a distinct key per request. Returns the picks per host.
std::vector<std::size_t> run(Balancer& balancer, const FakeView& view, std::size_t picks,
                             std::size_t in_flight, bool keyed, Clock::time_point now = kT0) {
  std::vector<std::size_t> counts(view.refused.size(), 0);
  std::deque<std::size_t> flight;
  for (std::size_t i = 0; i < picks; ++i) {
    const std::size_t host =
        balancer.pick(view, keyed ? std::optional(key_of(i)) : std::nullopt, now);
    if (host == kNoHost) continue;
    ++counts[host];
    balancer.on_start(host);
    flight.push_back(host);
    if (flight.size() > in_flight) {
      balancer.on_end(flight.front());
      flight.pop_front();
    }
  }
  return counts;
}

// Each host's share of 100k requests, weights 1:1:1, 1:2:3 and 10:1:1, every policy: within 10 % of
// its weight's share (relative). Least-request and peak-EWMA at 300 requests in flight, where their
// costs even out; the hashing policies over 100k distinct keys.
TEST(Balancer, EveryPolicySpreadsRequestsByWeight) {
  for (const BalancePolicy policy :
       {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest, BalancePolicy::kPeakEwma,
        BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    for (const std::vector<std::uint32_t>& weights :
         {std::vector<std::uint32_t>{1, 1, 1}, {1, 2, 3}, {10, 1, 1}}) {
      const BalanceTables tables(hosts_of(weights), policy);
      Balancer balancer(tables, config_of(policy), 42);
      const FakeView view(weights);
      const std::vector<double> shares =
          shares_of(run(balancer, view, 100000, 300, hashing(policy)));
      std::cout << "[ spread ] " << name_of(policy) << " weights " << weights[0] << ":"
                << weights[1] << ":" << weights[2] << " -> " << shares[0] << " " << shares[1] << " "
                << shares[2] << "\n";
      for (std::size_t h = 0; h < weights.size(); ++h) {
        const double want = weight_shares(weights)[h];
        EXPECT_NEAR(shares[h], want, 0.1 * want) << name_of(policy) << " host " << h;
      }
    }
  }
}

TEST(Balancer, IdleLeastRequestStillFollowsTheWeights) {
  // Idle hosts tie and the weighted first draw decides: a light host is not starved at low load.
  const std::vector<std::uint32_t> weights{1, 2, 3};
  const BalanceTables tables(hosts_of(weights), BalancePolicy::kLeastRequest);
  Balancer balancer(tables, config_of(BalancePolicy::kLeastRequest), 1);
  const std::vector<double> shares = shares_of(run(balancer, FakeView(weights), 100000, 0, false));
  for (std::size_t h = 0; h < weights.size(); ++h)
    EXPECT_NEAR(shares[h], weight_shares(weights)[h], 0.01) << h;
}

TEST(Balancer, RoundRobinWalksTheCycleFromItsOwnPlace) {
  const std::vector<std::uint32_t> weights{5, 1, 1};
  const BalanceTables tables(hosts_of(weights), BalancePolicy::kRoundRobin);
  const std::vector<std::uint32_t>& cycle = tables.schedule();
  Balancer balancer(tables, config_of(BalancePolicy::kRoundRobin), 3);
  const FakeView view(weights);
  std::vector<std::size_t> picks;
  for (int i = 0; i < 21; ++i)
    picks.push_back(balancer.pick(view, std::nullopt, kT0));
  bool some_rotation = false;
  for (std::size_t start = 0; start < cycle.size(); ++start) {
    bool same = true;
    for (std::size_t k = 0; k < picks.size(); ++k)
      same = same && picks[k] == cycle[(start + k) % cycle.size()];
    some_rotation = some_rotation || same;
  }
  EXPECT_TRUE(some_rotation);
}

TEST(Balancer, RoundRobinSkipsARefusedHost) {
  const BalanceTables tables(equal_hosts(3), BalancePolicy::kRoundRobin);
  Balancer balancer(tables, config_of(BalancePolicy::kRoundRobin), 3);
  FakeView view({1, 1, 1});
  view.refused[1] = true;
  const std::vector<std::size_t> counts = run(balancer, view, 1000, 0, false);
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[0], 500u);
  EXPECT_EQ(counts[2], 500u);
}

TEST(Balancer, TwoChoicesNeverPickARefusedHost) {
  for (const BalancePolicy policy : {BalancePolicy::kLeastRequest, BalancePolicy::kPeakEwma}) {
    for (const std::vector<std::uint32_t>& weights :
         {std::vector<std::uint32_t>{1, 1, 1}, {1, 2, 3}}) {
      const BalanceTables tables(hosts_of(weights), policy);
      Balancer balancer(tables, config_of(policy), 5);
      FakeView view(weights);
      view.refused[2] = true;
      const std::vector<std::size_t> counts = run(balancer, view, 10000, 10, false);
      EXPECT_EQ(counts[2], 0u) << name_of(policy);
      EXPECT_EQ(counts[0] + counts[1], 10000u) << name_of(policy);
      EXPECT_GT(counts[0], 1000u) << name_of(policy);
    }
  }
}

TEST(Balancer, OneUsableHostTakesEveryRequest) {
  for (const BalancePolicy policy :
       {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest, BalancePolicy::kPeakEwma,
        BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    const BalanceTables tables(equal_hosts(4), policy);
    Balancer balancer(tables, config_of(policy), 9);
    FakeView view({1, 1, 1, 1});
    view.refused = {true, true, false, true};
    EXPECT_EQ(run(balancer, view, 1000, 3, hashing(policy))[2], 1000u) << name_of(policy);
  }
}

TEST(Balancer, MostOfTheWeightRefusedStillFindsTheRest) {
  // The heavy host refused: nearly every weighted draw misses, and the fallback scan answers.
  const std::vector<std::uint32_t> weights{1000, 1, 1};
  const BalanceTables tables(hosts_of(weights), BalancePolicy::kLeastRequest);
  Balancer balancer(tables, config_of(BalancePolicy::kLeastRequest), 11);
  FakeView view(weights);
  view.refused[0] = true;
  const std::vector<std::size_t> counts = run(balancer, view, 1000, 10, false);
  EXPECT_EQ(counts[0], 0u);
  EXPECT_EQ(counts[1] + counts[2], 1000u);
  EXPECT_GT(counts[1], 300u);
  EXPECT_GT(counts[2], 300u);
}

TEST(Balancer, NoUsableHostGivesNoHost) {
  for (const BalancePolicy policy :
       {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest, BalancePolicy::kPeakEwma,
        BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    const BalanceTables tables(hosts_of({1, 2, 3}), policy);
    Balancer balancer(tables, config_of(policy), 13);
    FakeView view({1, 2, 3});
    view.refused = {true, true, true};
    for (std::size_t i = 0; i < 100; ++i) {
      EXPECT_EQ(balancer.pick(view, key_of(i), kT0), kNoHost) << name_of(policy);
      EXPECT_EQ(balancer.pick(view, std::nullopt, kT0), kNoHost) << name_of(policy);
    }
  }
  const BalanceTables empty({}, BalancePolicy::kMaglev);
  Balancer balancer(empty, config_of(BalancePolicy::kMaglev), 1);
  EXPECT_EQ(balancer.pick(FakeView({}), key_of(1), kT0), kNoHost);
  EXPECT_EQ(balancer.pick(FakeView({}), std::nullopt, kT0), kNoHost);
}

TEST(Balancer, LeastRequestAvoidsAHostWithManyInFlight) {
  const BalanceTables tables(equal_hosts(3), BalancePolicy::kLeastRequest);
  Balancer balancer(tables, config_of(BalancePolicy::kLeastRequest), 17);
  for (int i = 0; i < 100; ++i)
    balancer.on_start(0);
  EXPECT_EQ(balancer.outstanding(0), 100u);
  const std::vector<std::size_t> counts = run(balancer, FakeView({1, 1, 1}), 30000, 0, false);
  EXPECT_LT(counts[0], 300u);
  EXPECT_NEAR(static_cast<double>(counts[1]) / 30000, 0.5, 0.02);
}

TEST(Balancer, LeastRequestSpreadsEvenlyOverEqualLoad) {
  const BalanceTables tables(equal_hosts(3), BalancePolicy::kLeastRequest);
  Balancer balancer(tables, config_of(BalancePolicy::kLeastRequest), 19);
  for (std::size_t h = 0; h < 3; ++h) {
    for (int i = 0; i < 5; ++i)
      balancer.on_start(h);
  }
  const std::vector<double> shares = shares_of(run(balancer, FakeView({1, 1, 1}), 30000, 0, false));
  for (const double share : shares)
    EXPECT_NEAR(share, 1.0 / 3, 0.02);
}

TEST(Balancer, AHashingPolicyWithoutAKeyBalancesByLeastRequest) {
  for (const BalancePolicy policy : {BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    const BalanceTables tables(equal_hosts(3), policy);
    Balancer balancer(tables, config_of(policy), 23);
    for (int i = 0; i < 100; ++i)
      balancer.on_start(1);
    const std::vector<std::size_t> counts = run(balancer, FakeView({1, 1, 1}), 30000, 0, false);
    EXPECT_LT(counts[1], 300u) << name_of(policy);
    EXPECT_NEAR(static_cast<double>(counts[0]) / 30000, 0.5, 0.02) << name_of(policy);
  }
}

TEST(Balancer, SlowStartThinsAReturningHost) {
  // Host 0 at a tenth of its weight: a share of 0.1 / 2.1 for the policies that draw or cycle.
  for (const BalancePolicy policy : {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest}) {
    const BalanceTables tables(equal_hosts(3), policy);
    Balancer balancer(tables, config_of(policy), 29);
    FakeView view({1, 1, 1});
    view.weights[0] = 0.1;
    const std::vector<double> shares = shares_of(run(balancer, view, 100000, 0, false));
    EXPECT_NEAR(shares[0], 0.1 / 2.1, 0.01) << name_of(policy);
  }
}

TEST(Balancer, EveryPolicyPicksTheOnlyHostWhileItIsUsable) {
  for (const BalancePolicy policy : {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest,
                                     BalancePolicy::kPeakEwma, BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    const BalanceTables tables(equal_hosts(1), policy);
    Balancer balancer(tables, config_of(policy), 37);
    FakeView view({1});
    view.weights[0] = 0.1;  // slow start: with nobody to shift load to, it is not thinned
    for (std::uint64_t key = 0; key < 100; ++key) EXPECT_EQ(balancer.pick(view, key, kT0), 0u) << name_of(policy);
    view.refused[0] = true;
    EXPECT_EQ(balancer.pick(view, 1, kT0), kNoHost) << name_of(policy);
  }
}

TEST(Balancer, PeakEwmaAvoidsASlowHostThenTriesItAgainAfterTheDecay) {
  UpstreamBalance config = config_of(BalancePolicy::kPeakEwma);
  config.ewma_decay = seconds(10);
  const BalanceTables tables(equal_hosts(3), BalancePolicy::kPeakEwma);
  Balancer balancer(tables, config, 31);
  balancer.observe(0, milliseconds(50), kT0);
  balancer.observe(1, milliseconds(1), kT0);
  balancer.observe(2, milliseconds(1), kT0);
  const FakeView view({1, 1, 1});
  std::vector<std::size_t> counts = run(balancer, view, 30000, 0, false, kT0);
  std::cout << "[ peak-ewma ] slow host's share while slow: " << shares_of(counts)[0] << "\n";
  EXPECT_LT(shares_of(counts)[0], 0.02);

  // A minute later (6 decays) the fast hosts' traffic has kept their estimates at 1 ms; the slow
  // host's, unsampled since, has sunk to 50 ms / e^6 = 0.12 ms: it is tried again.
  const Clock::time_point later = kT0 + seconds(60);
  balancer.observe(1, milliseconds(1), later);
  balancer.observe(2, milliseconds(1), later);
  EXPECT_NEAR(balancer.latency_estimate(0, later).count(), 50 * std::exp(-6.0), 1e-6);
  counts = run(balancer, view, 30000, 0, false, later);
  EXPECT_GT(shares_of(counts)[0], 0.3);

  // Its fast answers bring it back to 1 ms (a sample above the decayed estimate replaces it): an
  // even spread again.
  balancer.observe(0, milliseconds(1), later);
  EXPECT_NEAR(balancer.latency_estimate(0, later).count(), 1.0, 1e-9);
  const std::vector<double> shares = shares_of(run(balancer, view, 30000, 0, false, later));
  std::cout << "[ peak-ewma ] after recovery: " << shares[0] << " " << shares[1] << " " << shares[2]
            << "\n";
  for (const double share : shares)
    EXPECT_NEAR(share, 1.0 / 3, 0.02);
}

TEST(Balancer, PeakEwmaTakesAPeakAtOnceAndAveragesBelowIt) {
  UpstreamBalance config = config_of(BalancePolicy::kPeakEwma);
  config.ewma_decay = seconds(10);
  const BalanceTables tables(equal_hosts(2), BalancePolicy::kPeakEwma);
  Balancer balancer(tables, config, 37);
  Clock::time_point now = kT0;
  for (int i = 0; i < 10; ++i, now += milliseconds(100))
    balancer.observe(0, milliseconds(1), now);
  balancer.observe(0, milliseconds(100), now);
  EXPECT_DOUBLE_EQ(balancer.latency_estimate(0, now).count(), 100.0);
  // A faster sample one decay later: e^-1 of the old estimate and the rest from the sample.
  now += seconds(10);
  balancer.observe(0, milliseconds(1), now);
  EXPECT_NEAR(balancer.latency_estimate(0, now).count(),
              100 * std::exp(-1.0) + 1 * (1 - std::exp(-1.0)), 1e-9);
}

TEST(Balancer, PeakEwmaChargesAnUnsampledHostTheMean) {
  UpstreamBalance config = config_of(BalancePolicy::kPeakEwma);
  const BalanceTables tables(equal_hosts(3), BalancePolicy::kPeakEwma);
  Balancer balancer(tables, config, 41);
  EXPECT_DOUBLE_EQ(balancer.latency_estimate(2, kT0).count(), 1.0);
  balancer.observe(0, milliseconds(2), kT0);
  balancer.observe(1, milliseconds(4), kT0);
  EXPECT_DOUBLE_EQ(balancer.latency_estimate(2, kT0).count(), 3.0);
}

TEST(Balancer, PicksDoNotAllocate) {
  for (const BalancePolicy policy :
       {BalancePolicy::kRoundRobin, BalancePolicy::kLeastRequest, BalancePolicy::kPeakEwma,
        BalancePolicy::kRingHash, BalancePolicy::kMaglev}) {
    const BalanceTables tables(hosts_of({1, 2, 3, 4}), policy);
    Balancer balancer(tables, config_of(policy), 43);
    FakeView view({1, 2, 3, 4});
    view.refused[1] = true;  // the walks, probes and misses too
    std::vector<std::uint64_t> keys;
    for (std::size_t i = 0; i < 1000; ++i)
      keys.push_back(key_of(i));
    std::size_t sum = 0;
    const std::uint64_t before = test::allocation_count();
    for (const std::uint64_t key : keys) {
      const std::size_t host = balancer.pick(view, key, kT0);
      balancer.on_start(host);
      balancer.observe(host, milliseconds(1), kT0);
      balancer.on_end(host);
      sum += host;
    }
    EXPECT_EQ(test::allocation_count(), before) << name_of(policy);
    EXPECT_GT(sum, 0u);
  }
}

}  // namespace
}  // namespace surge::detail
