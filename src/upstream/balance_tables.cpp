#include "upstream/balance_tables.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

namespace surge::detail {

std::vector<std::uint32_t> smooth_schedule(const std::vector<std::uint32_t>& weights) {
  std::uint32_t divisor = 0;
  for (const std::uint32_t w : weights)
    divisor = std::gcd(divisor, std::max<std::uint32_t>(w, 1));
  std::vector<std::int64_t> reduced;
  std::int64_t total = 0;
  for (const std::uint32_t w : weights) {
    reduced.push_back(std::max<std::uint32_t>(w, 1) / divisor);
    total += reduced.back();
  }
  std::vector<std::int64_t> current(weights.size(), 0);
  std::vector<std::uint32_t> order;
  order.reserve(static_cast<std::size_t>(total));
  for (std::int64_t n = 0; n < total; ++n) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < reduced.size(); ++i) {
      current[i] += reduced[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    order.push_back(static_cast<std::uint32_t>(best));
  }
  return order;
}

BalanceTables::BalanceTables(const std::vector<BalanceHost>& hosts, BalancePolicy policy) {
  for (const BalanceHost& h : hosts)
    weights_.push_back(std::max<std::uint32_t>(h.weight, 1));
  schedule_ = smooth_schedule(weights_);
  if (policy == BalancePolicy::kRingHash) ring_ = std::make_unique<const HashRing>(hosts);
  if (policy == BalancePolicy::kMaglev) maglev_ = std::make_unique<const MaglevTable>(hosts);
  if (std::adjacent_find(weights_.begin(), weights_.end(), std::not_equal_to<>()) == weights_.end())
    return;

  // Vose's alias method in integers: column i holds n * w_i / W of host i, topped up from a host
  // with more than its column's worth. Exact, so a weight's share is not off by rounding.
  const std::size_t n = weights_.size();
  std::uint64_t total = 0;
  for (const std::uint32_t w : weights_)
    total += w;
  std::vector<std::uint64_t> scaled(n);
  std::vector<std::uint32_t> small;
  std::vector<std::uint32_t> large;
  for (std::size_t i = 0; i < n; ++i) {
    scaled[i] = std::uint64_t{weights_[i]} * n;
    (scaled[i] < total ? small : large).push_back(static_cast<std::uint32_t>(i));
  }
  alias_.assign(n, AliasSlot{std::uint64_t{1} << 32, 0});
  for (std::size_t i = 0; i < n; ++i)
    alias_[i].alias = static_cast<std::uint32_t>(i);
  while (!small.empty() && !large.empty()) {
    const std::uint32_t low = small.back();
    small.pop_back();
    const std::uint32_t high = large.back();
    alias_[low] = AliasSlot{(scaled[low] << 32) / total, high};
    scaled[high] -= total - scaled[low];
    if (scaled[high] < total) {
      large.pop_back();
      small.push_back(high);
    }
  }
}

}  // namespace surge::detail
