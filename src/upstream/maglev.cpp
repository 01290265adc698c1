#include "upstream/maglev.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace surge::detail {
namespace {

constexpr std::uint32_t kFree = ~std::uint32_t{0};

// One host's walk through its permutation while the table fills.
struct Walker {
  std::uint64_t offset;
  std::uint64_t skip;
  std::uint64_t weight;
  std::uint64_t next = 0;    // how far along its permutation it is
  std::uint64_t target = 0;  // in max-weight units: the turn count at which it takes a slot again

  std::uint64_t slot() const { return (offset + next * skip) % MaglevTable::kSize; }
};

}  // namespace

MaglevTable::MaglevTable(const std::vector<BalanceHost>& hosts) {
  if (hosts.empty()) return;
  std::vector<Walker> walkers;
  walkers.reserve(hosts.size());
  std::uint64_t max_weight = 1;
  for (const BalanceHost& h : hosts) {
    // Offset and skip come from the address alone, so a host's permutation, and most of its
    // slots, survive any change to the other hosts. The skip's hash is the first one re-mixed:
    // a bijection of it, yet independent of its residue mod kSize.
    const std::uint64_t h1 = hash_key(h.address);
    const std::uint64_t h2 = mix64(h1 + 0x632be59bd9b4e019ULL);
    const std::uint64_t weight = std::max<std::uint32_t>(h.weight, 1);
    walkers.push_back({h1 % kSize, h2 % (kSize - 1) + 1, weight});
    max_weight = std::max(max_weight, weight);
  }
  // Who takes a contested slot depends on who walks first: walking in address order makes the
  // table a function of the hosts alone, not of the order the configuration lists them in.
  std::vector<std::uint32_t> order(hosts.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(hosts[a].address, a) < std::tie(hosts[b].address, b);
  });
  slots_.assign(kSize, kFree);
  std::uint64_t filled = 0;
  for (std::uint64_t turn = 1; filled < kSize; ++turn) {
    for (std::size_t k = 0; k < order.size() && filled < kSize; ++k) {
      const std::uint32_t i = order[k];
      Walker& w = walkers[i];
      // A max-weight host takes a slot every turn, one of a third of that weight every third.
      if (turn * w.weight < w.target) continue;
      w.target += max_weight;
      while (slots_[w.slot()] != kFree)
        ++w.next;
      slots_[w.slot()] = i;
      ++w.next;
      ++filled;
    }
  }
}

std::size_t MaglevTable::slots_of(std::size_t host) const {
  return static_cast<std::size_t>(
      std::count(slots_.begin(), slots_.end(), static_cast<std::uint32_t>(host)));
}

}  // namespace surge::detail
