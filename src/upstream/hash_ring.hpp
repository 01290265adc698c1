#pragma once
// HashRing: consistent hashing on a ring of points (ketama), for request affinity that survives
// hosts coming and going.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "upstream/balance_host.hpp"

namespace surge::detail {

/// Each host owns points on a 64-bit ring, hash_key(address + "_" + i) for i = 0, 1, ...; a key
/// belongs to the first point at or after it, wrapping. A host's points depend only on its own
/// address and weight, so adding a host takes keys only onto it and removing one moves only its
/// keys (Karger et al., 1997; libketama). Immutable once built; shared by the workers.
class HashRing final {
 public:
  /// Points per unit of weight, the weights first divided by their greatest common divisor (so
  /// equal weights, whatever their value, give every host this many). A host's share of the keys
  /// strays from its weight's share by about 1/sqrt(its points): ~3 % here (the most loaded of
  /// ten hosts ~5 % over), ~8 % with ketama's 160 a host or Envoy's 1024-point minimum ring over
  /// six hosts. A fixed count per host, rather than a ring size shared out, is what keeps a
  /// host's points when others change.
  static constexpr std::uint32_t kPointsPerUnit = 1024;
  /// The ring's cap (12 bytes a point: 12 MB, reached with 1024 hosts of equal weight). Past it
  /// every host gets fewer points per unit, in proportion; while a ring is at the cap, adding or
  /// removing a host moves more keys than 1/N.
  static constexpr std::size_t kMaxPoints = std::size_t{1} << 20;

  explicit HashRing(const std::vector<BalanceHost>& hosts);

  /// Points on the ring (0 without hosts).
  std::size_t size() const { return hashes_.size(); }
  /// The point a key belongs to. Precondition: size() > 0.
  std::size_t point_of(std::uint64_t key) const;
  /// The point after `point`, clockwise.
  std::size_t next(std::size_t point) const { return point + 1 == hashes_.size() ? 0 : point + 1; }
  /// The host (its index in the constructor's vector) that owns a point.
  std::uint32_t host_at(std::size_t point) const { return owners_[point]; }
  /// Points owned by a host: its weight's units x the points per unit. Counts them (for tests).
  std::size_t points_of(std::size_t host) const;

 private:
  std::vector<std::uint64_t> hashes_;  // sorted; searched apart from the owners for cache locality
  std::vector<std::uint32_t> owners_;
};

}  // namespace surge::detail
