#pragma once
// MaglevTable: consistent hashing on Maglev's lookup table, O(1) per key.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "upstream/balance_host.hpp"

namespace surge::detail {

/// Maglev's lookup table (Eisenbud et al., NSDI 2016), weighted as Envoy's: each host walks its
/// own permutation of the slots (offset and skip from two hashes of its address) and takes the
/// next free slot on its turns, a host of weight w getting w/max_weight as many turns as the
/// heaviest. A key goes to table[key % kSize]. Shares match the weights to within a few slots; a
/// host change moves a little more than that host's share of the keys (the paper's "minimal
/// disruption").
/// Immutable once built; shared by the workers.
class MaglevTable final {
 public:
  /// Prime (the permutations must visit every slot) and far above the host count, as the paper
  /// asks (M >> 100 N); Envoy's default. 4 bytes a slot: 256 KB.
  static constexpr std::uint64_t kSize = 65537;

  explicit MaglevTable(const std::vector<BalanceHost>& hosts);

  bool empty() const { return slots_.empty(); }
  /// The host (its index in the constructor's vector) in a slot (< kSize).
  std::uint32_t host_at(std::uint64_t slot) const { return slots_[slot]; }
  /// The slot a key goes to when its host may take it.
  static std::uint64_t slot_of(std::uint64_t key) { return key % kSize; }
  /// The stride of a key's probe when its host may not: from 1 to kSize - 1, so the probe visits
  /// every slot, and different for each key, so the keys of a host that is out spread over the
  /// others in proportion to their slots instead of piling onto its neighbour.
  static std::uint64_t probe_step(std::uint64_t key) {
    return mix64(key ^ kProbeSalt) % (kSize - 1) + 1;
  }
  /// Slots held by a host. Counts them (for tests).
  std::size_t slots_of(std::size_t host) const;

 private:
  static constexpr std::uint64_t kProbeSalt = 0x9e3779b97f4a7c15ULL;
  std::vector<std::uint32_t> slots_;
};

}  // namespace surge::detail
