#include "upstream/host_stats.hpp"

#include <algorithm>

namespace surge::detail {
namespace {

// The bounds in nanoseconds, compared without converting each observation to seconds.
constexpr std::array<std::int64_t, kUpstreamLatencyBounds.size()> bounds_ns() {
  std::array<std::int64_t, kUpstreamLatencyBounds.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::int64_t>(kUpstreamLatencyBounds[i] * 1e9);
  return out;
}
constexpr auto kBoundsNs = bounds_ns();

}  // namespace

void LatencyHistogram::observe(std::chrono::nanoseconds elapsed) {
  const std::int64_t ns = std::max<std::int64_t>(elapsed.count(), 0);
  const auto bucket = static_cast<std::size_t>(std::lower_bound(kBoundsNs.begin(), kBoundsNs.end(), ns) - kBoundsNs.begin());
  buckets_[bucket].add();
  sum_ns_.add(static_cast<std::uint64_t>(ns));
}

HostStats& HostStatsRegistry::entry(std::string_view upstream, std::string_view host,
                                    std::shared_ptr<const HostHealth> health) {
  std::lock_guard lock(mutex_);
  for (HostStats& s : entries_) {
    if (s.upstream == upstream && s.host == host) {
      // A reload that keeps the host builds a new cluster: the newest pool's health is reported.
      if (health) s.health = std::move(health);
      return s;
    }
  }
  HostStats& made = entries_.emplace_back(std::string(upstream), std::string(host));
  made.health = std::move(health);
  return made;
}

}  // namespace surge::detail
