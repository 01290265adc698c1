#pragma once
// What the balancing tests share: hosts, keys, a view the test controls, shares of picks.

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "upstream/balance_host.hpp"

namespace surge::detail {

/// Hosts "10.0.<i / 250>.<i % 250>:8080" with these weights.
inline std::vector<BalanceHost> hosts_of(const std::vector<std::uint32_t>& weights) {
  std::vector<BalanceHost> hosts;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    hosts.push_back(
        {"10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":8080", weights[i]});
  }
  return hosts;
}

inline std::vector<BalanceHost> equal_hosts(std::size_t n) {
  return hosts_of(std::vector<std::uint32_t>(n, 1));
}

/// The i-th test key, as a request's hashed header would be.
inline std::uint64_t key_of(std::size_t i) {
  return hash_key("session-" + std::to_string(i));
}

/// What the caller's view would say: every host usable at its configured weight until a test
/// refuses one or lowers its weight (slow start).
struct FakeView {
  explicit FakeView(const std::vector<std::uint32_t>& configured)
      : refused(configured.size(), false), weights(configured.begin(), configured.end()) {}
  bool usable(std::size_t i) const { return !refused[i]; }
  double weight(std::size_t i) const { return weights[i]; }

  std::vector<bool> refused;
  std::vector<double> weights;
};

/// Each host's share of `counts`.
inline std::vector<double> shares_of(const std::vector<std::size_t>& counts) {
  std::size_t total = 0;
  for (const std::size_t c : counts)
    total += c;
  std::vector<double> shares;
  for (const std::size_t c : counts)
    shares.push_back(total == 0 ? 0 : static_cast<double>(c) / static_cast<double>(total));
  return shares;
}

/// The address each of the first `keys` test keys goes to; host_of(key) gives a host's index.
template <class HostOf>
std::vector<std::string> owners(const std::vector<BalanceHost>& hosts, std::size_t keys,
                                HostOf host_of) {
  std::vector<std::string> out;
  out.reserve(keys);
  for (std::size_t i = 0; i < keys; ++i)
    out.push_back(hosts[host_of(key_of(i))].address);
  return out;
}

/// The share of keys whose owner differs between two runs of owners().
inline double moved_share(const std::vector<std::string>& before,
                          const std::vector<std::string>& after) {
  std::size_t moved = 0;
  for (std::size_t i = 0; i < before.size(); ++i)
    moved += before[i] != after[i] ? 1 : 0;
  return static_cast<double>(moved) / static_cast<double>(before.size());
}

/// Prints a measured share of keys that moved, and records it in the test's XML report.
inline void report_moved(const std::string& what, double measured, double ideal) {
  std::cout << "[ remap ] " << what << ": moved " << measured << " of the keys (ideal " << ideal
            << ")\n";
  ::testing::Test::RecordProperty(what, std::to_string(measured));
}

/// Each weight's share of the total.
inline std::vector<double> weight_shares(const std::vector<std::uint32_t>& weights) {
  return shares_of(std::vector<std::size_t>(weights.begin(), weights.end()));
}

}  // namespace surge::detail
