#pragma once
// BalanceTables: what the balancers of one upstream share, built once: the round-robin cycle, the
// weighted draw, and the ring or Maglev table.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "upstream/balance_host.hpp"
#include "upstream/hash_ring.hpp"
#include "upstream/maglev.hpp"
#include "upstream/upstream_config.hpp"

namespace surge::detail {

/// nginx's smooth weighted round robin unrolled into one cycle: a host of weight w appears w times
/// (the weights first divided by their greatest common divisor, which gives the same order in a
/// shorter cycle), spread out instead of in a run: weights 5, 1, 1 give 0 0 1 0 2 0 0.
std::vector<std::uint32_t> smooth_schedule(const std::vector<std::uint32_t>& weights);

/// A number in [0, n) from the high 32 bits of a random word (Lemire's multiply-shift: no
/// division, no modulo bias worth the name for n far below 2^32).
inline std::size_t random_below(std::uint64_t random, std::size_t n) {
  return static_cast<std::size_t>(((random >> 32) * n) >> 32);
}

/// Built once per cluster on the main thread, immutable, shared by the workers: the round-robin
/// cycle, the alias table that draws hosts by weight, and the ring or Maglev table when the policy
/// needs one (only the one it needs).
class BalanceTables final {
 public:
  BalanceTables(const std::vector<BalanceHost>& hosts, BalancePolicy policy);

  std::size_t host_count() const { return weights_.size(); }
  /// The smooth WRR cycle: host indexes.
  const std::vector<std::uint32_t>& schedule() const { return schedule_; }
  const HashRing* ring() const { return ring_.get(); }         // null unless kRingHash
  const MaglevTable* maglev() const { return maglev_.get(); }  // null unless kMaglev
  /// The configured weight (1..1000).
  std::uint32_t weight(std::size_t host) const { return weights_[host]; }

  /// A host drawn with probability weight / total weight, from 64 random bits; O(1) (Vose's alias
  /// method; a plain uniform draw when the weights are equal). Precondition: host_count() > 0.
  std::size_t draw(std::uint64_t random) const {
    if (alias_.empty()) return random_below(random, weights_.size());
    const std::size_t column = random_below(random, alias_.size());
    return (random & 0xffffffffULL) < alias_[column].threshold ? column : alias_[column].alias;
  }
  /// Whether every host has the same weight (draws are uniform).
  bool uniform() const { return alias_.empty(); }

 private:
  struct AliasSlot {
    std::uint64_t threshold;  // out of 2^32: the share of the column that stays with its host
    std::uint32_t alias;      // who takes the rest
  };

  std::vector<std::uint32_t> weights_;
  std::vector<std::uint32_t> schedule_;
  std::vector<AliasSlot> alias_;
  std::unique_ptr<const HashRing> ring_;
  std::unique_ptr<const MaglevTable> maglev_;
};

}  // namespace surge::detail
