#pragma once
// Balancer: one worker's choice of host for each request of one upstream, by the upstream's
// policy ("balance"), over tables that all the workers share (BalanceTables).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "net/deadline_list.hpp"
#include "upstream/balance_tables.hpp"
#include "upstream/upstream_config.hpp"

namespace surge::detail {

/// One worker's balancer for one cluster: owns that worker's per-host load (requests in flight, the
/// latency EWMA) and its RNG (splitmix64, seeded by the caller, so tests fix it). Single-threaded
/// (one worker). The tables must outlive it.
///
/// - kRoundRobin: this worker walks the smooth WRR cycle from its own (random) place, skipping the
///   hosts the view refuses.
/// - kLeastRequest: two distinct hosts drawn by weight; the one with fewer requests in flight per
///   unit of its effective weight wins, the first drawn on a tie. Idle hosts tie, so at low load
///   the draw alone decides and hosts get their weight's share (as Envoy's and nginx's weighted
///   least request do); under load requests in flight / weight even out.
/// - kPeakEwma: the same two draws; the cost is the latency estimate x (requests in flight + 1) /
///   effective weight (Finagle, Linkerd). The estimate decays to 1/e over config.ewma_decay
///   since the host's last sample, and a sample above it replaces it at once ("peak"): a slow
///   host is avoided at once and tried again once its estimate has decayed below the others'. A
///   host with no sample costs the mean of the others' (1 ms when none has one), so it gets
///   traffic.
/// - kRingHash, kMaglev: the key's host; when the view refuses it, the next host clockwise on the
///   ring, or Maglev's probe (table[(slot + k * step(key)) % M]): only the refused host's keys
///   move. A request with no key is balanced by least-request.
///
/// Slow start (a view weight below the configured one) lowers a host's share for round robin and
/// the two draws by accepting it with probability effective / configured weight; the hashing
/// policies ignore it (affinity first).
class Balancer final {
 public:
  Balancer(const BalanceTables& tables, const UpstreamBalance& config, std::uint64_t seed);

  /// A host for one request among those view.usable(i) says yes to, or kNoHost when none is.
  /// `key`: the request's hash (hash_key of its header/cookie/address/param) for the hashing
  /// policies; std::nullopt (no key, or a non-hashing policy) -> least-request for this request.
  /// View: `bool usable(std::size_t) const` and `double weight(std::size_t) const` (the effective
  /// weight, > 0, at most the configured one: the caller lowers it during slow start).
  /// No allocation; O(1) expected except round robin's skips and ring hash's O(log points).
  template <class View>
  std::size_t pick(const View& view, std::optional<std::uint64_t> key, Clock::time_point now);

  /// A request went to host / came back. Out-of-range hosts (kNoHost) are ignored.
  void on_start(std::size_t host);
  void on_end(std::size_t host);
  /// A latency sample (from the request's start to the response head) for peak-EWMA.
  void observe(std::size_t host, Clock::duration latency, Clock::time_point now);

  std::uint32_t outstanding(std::size_t host) const { return outstanding_[host]; }
  /// Peak-EWMA's latency estimate of a host at `now`, as pick charges it.
  std::chrono::duration<double, std::milli> latency_estimate(std::size_t host,
                                                             Clock::time_point now) const;

 private:
  /// A host drawn and accepted, with the effective weight the view gave it.
  struct Drawn {
    std::size_t host = kNoHost;
    double weight = 0;
  };
  /// Latency EWMA of one host, in nanoseconds, as of its last sample.
  struct Ewma {
    double value = 0;
    Clock::time_point stamp{};
    bool sampled = false;
  };
  // Random draws that may all land on refused hosts before a pick falls back to a scan: 8 misses
  // in a row are 1 in 256 with half the weight refused.
  static constexpr int kDrawTries = 8;
  // Maglev probes before the fallback scan: 64 misses in a row are 1 in 600 with 90 % refused.
  static constexpr int kMaglevProbes = 64;

  template <class View>
  std::size_t pick_round_robin(const View& view);
  template <class View>
  std::size_t pick_two(const View& view, bool ewma, Clock::time_point now);
  template <class View>
  Drawn draw(const View& view, std::size_t other);
  template <class View>
  std::size_t least_costly(const View& view, bool ewma, Clock::time_point now);
  template <class View>
  std::size_t pick_ring(const View& view, std::uint64_t key);
  template <class View>
  std::size_t pick_maglev(const View& view, std::uint64_t key);
  template <class View>
  std::size_t first_usable(const View& view, std::size_t start) const;

  /// Slow start's thinning: true with probability effective / configured weight.
  bool admit(std::size_t host, double weight);
  double cost(std::size_t host, double weight, bool ewma, Clock::time_point now) const;
  double estimate_ns(std::size_t host, Clock::time_point now) const;
  /// The share of an estimate left after the time from stamp to now: exp(-elapsed / decay).
  double kept_since(Clock::time_point stamp, Clock::time_point now) const;
  std::uint32_t next_epoch();

  std::uint64_t next_random() { return splitmix64(rng_); }

  const BalanceTables* tables_;
  BalancePolicy policy_;
  double tau_ns_;  // ewma_decay; 0 or less: the estimate is the last sample
  std::uint64_t rng_;
  std::size_t position_ = 0;  // in the round-robin cycle
  std::vector<std::uint32_t> outstanding_;
  std::vector<Ewma> ewma_;
  double ewma_sum_ = 0;  // of the sampled hosts' values, for the unsampled hosts' cost
  std::size_t ewma_count_ = 0;
  // The ring walk's "seen" marks: a host is seen in this walk when its mark equals epoch_, so no
  // walk clears them.
  std::vector<std::uint32_t> seen_;
  std::uint32_t epoch_ = 0;
};

template <class View>
std::size_t Balancer::pick(const View& view, std::optional<std::uint64_t> key,
                           Clock::time_point now) {
  if (outstanding_.empty()) return kNoHost;
  // One host (a service behind its own balancer, a sidecar): every policy picks it when it is
  // usable; no draw, no cost, no thinning (slow start has nobody to shift load to).
  if (outstanding_.size() == 1) return view.usable(0) ? 0 : kNoHost;
  switch (policy_) {
    case BalancePolicy::kRoundRobin:
      return pick_round_robin(view);
    case BalancePolicy::kPeakEwma:
      return pick_two(view, true, now);
    case BalancePolicy::kRingHash:
      if (key && tables_->ring() != nullptr) return pick_ring(view, *key);
      break;
    case BalancePolicy::kMaglev:
      if (key && tables_->maglev() != nullptr) return pick_maglev(view, *key);
      break;
    case BalancePolicy::kLeastRequest:
      break;
  }
  return pick_two(view, false, now);
}

template <class View>
std::size_t Balancer::pick_round_robin(const View& view) {
  const std::vector<std::uint32_t>& cycle = tables_->schedule();
  std::size_t thinned = kNoHost;  // a usable host slow start turned away: better than none
  for (std::size_t k = 0; k < cycle.size(); ++k) {
    const std::size_t host = cycle[position_];
    if (++position_ == cycle.size()) position_ = 0;
    if (!view.usable(host)) continue;
    if (admit(host, view.weight(host))) return host;
    if (thinned == kNoHost) thinned = host;
  }
  return thinned;
}

template <class View>
std::size_t Balancer::pick_two(const View& view, bool ewma, Clock::time_point now) {
  const Drawn a = draw(view, kNoHost);
  if (a.host == kNoHost) return least_costly(view, ewma, now);
  const Drawn b = draw(view, a.host);
  // No second host after kDrawTries: the others are refused or weigh next to nothing.
  if (b.host == kNoHost) return a.host;
  return cost(b.host, b.weight, ewma, now) < cost(a.host, a.weight, ewma, now) ? b.host : a.host;
}

template <class View>
Balancer::Drawn Balancer::draw(const View& view, std::size_t other) {
  const std::size_t n = outstanding_.size();
  int misses = 0;
  // Landing on `other` again is no miss (a heavy host is drawn often), but it is bounded too.
  for (int t = 0; t < 4 * kDrawTries && misses < kDrawTries; ++t) {
    std::size_t host = 0;
    if (tables_->uniform() && other != kNoHost) {
      if (n == 1) return {};
      // Distinct in one draw: uniform over the n - 1 others.
      host = random_below(next_random(), n - 1);
      if (host >= other) ++host;
    } else {
      host = tables_->draw(next_random());
      if (host == other) continue;
    }
    ++misses;
    if (!view.usable(host)) continue;
    const double weight = view.weight(host);
    if (admit(host, weight)) return {host, weight};
  }
  return {};
}

template <class View>
std::size_t Balancer::least_costly(const View& view, bool ewma, Clock::time_point now) {
  // The draws kept missing: most of the weight is refused. Scan from a random place, so ties do
  // not all land on one host.
  const std::size_t n = outstanding_.size();
  std::size_t i = random_below(next_random(), n);
  std::size_t best = kNoHost;
  double best_cost = 0;
  for (std::size_t k = 0; k < n; ++k, i = i + 1 == n ? 0 : i + 1) {
    if (!view.usable(i)) continue;
    const double c = cost(i, view.weight(i), ewma, now);
    if (best == kNoHost || c < best_cost) {
      best = i;
      best_cost = c;
    }
  }
  return best;
}

template <class View>
std::size_t Balancer::pick_ring(const View& view, std::uint64_t key) {
  const HashRing& ring = *tables_->ring();
  std::size_t point = ring.point_of(key);
  std::size_t host = ring.host_at(point);
  if (view.usable(host)) return host;
  // Clockwise to the next host the view takes, asking each host once; the walk ends when every
  // host has been asked (all refused).
  const std::uint32_t epoch = next_epoch();
  seen_[host] = epoch;
  std::size_t asked = 1;
  for (std::size_t step = 1; step < ring.size() && asked < seen_.size(); ++step) {
    point = ring.next(point);
    host = ring.host_at(point);
    if (seen_[host] == epoch) continue;
    seen_[host] = epoch;
    ++asked;
    if (view.usable(host)) return host;
  }
  return kNoHost;
}

template <class View>
std::size_t Balancer::pick_maglev(const View& view, std::uint64_t key) {
  const MaglevTable& table = *tables_->maglev();
  std::uint64_t slot = MaglevTable::slot_of(key);
  std::size_t host = table.host_at(slot);
  if (view.usable(host)) return host;
  const std::uint64_t step = MaglevTable::probe_step(key);
  for (int k = 0; k < kMaglevProbes; ++k) {
    slot += step;
    if (slot >= MaglevTable::kSize) slot -= MaglevTable::kSize;
    host = table.host_at(slot);
    if (view.usable(host)) return host;
  }
  // Nearly every slot's host is refused: still a host per key, the same one each time.
  return first_usable(view, static_cast<std::size_t>(key % outstanding_.size()));
}

template <class View>
std::size_t Balancer::first_usable(const View& view, std::size_t start) const {
  const std::size_t n = outstanding_.size();
  for (std::size_t k = 0, i = start; k < n; ++k, i = i + 1 == n ? 0 : i + 1) {
    if (view.usable(i)) return i;
  }
  return kNoHost;
}

}  // namespace surge::detail
