#include "upstream/hash_ring.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <tuple>

namespace surge::detail {
namespace {

struct Point {
  std::uint64_t hash;
  std::uint32_t owner;
};

}  // namespace

HashRing::HashRing(const std::vector<BalanceHost>& hosts) {
  if (hosts.empty()) return;
  std::uint32_t divisor = 0;
  for (const BalanceHost& h : hosts)
    divisor = std::gcd(divisor, std::max<std::uint32_t>(h.weight, 1));
  std::size_t units = 0;
  for (const BalanceHost& h : hosts)
    units += std::max<std::uint32_t>(h.weight, 1) / divisor;
  const std::size_t per_unit =
      std::clamp<std::size_t>(kMaxPoints / units, 1, static_cast<std::size_t>(kPointsPerUnit));

  std::vector<Point> points;
  points.reserve(units * per_unit);
  std::string label;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::size_t count = std::max<std::uint32_t>(hosts[i].weight, 1) / divisor * per_unit;
    for (std::size_t p = 0; p < count; ++p) {
      label = hosts[i].address;
      label += '_';
      label += std::to_string(p);
      points.push_back({hash_key(label), static_cast<std::uint32_t>(i)});
    }
  }
  // Two hosts on one hash (1 in 2^64 per pair) are ordered by address, not by their place in the
  // configuration, so every instance and every reload agrees.
  std::sort(points.begin(), points.end(), [&](const Point& a, const Point& b) {
    return std::tie(a.hash, hosts[a.owner].address, a.owner) <
           std::tie(b.hash, hosts[b.owner].address, b.owner);
  });
  hashes_.reserve(points.size());
  owners_.reserve(points.size());
  for (const Point& p : points) {
    hashes_.push_back(p.hash);
    owners_.push_back(p.owner);
  }
}

std::size_t HashRing::point_of(std::uint64_t key) const {
  const auto it = std::lower_bound(hashes_.begin(), hashes_.end(), key);
  return it == hashes_.end() ? 0 : static_cast<std::size_t>(it - hashes_.begin());
}

std::size_t HashRing::points_of(std::size_t host) const {
  return static_cast<std::size_t>(
      std::count(owners_.begin(), owners_.end(), static_cast<std::uint32_t>(host)));
}

}  // namespace surge::detail
