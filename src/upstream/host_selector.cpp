#include "upstream/host_selector.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include <spdlog/spdlog.h>

namespace surge::detail {
namespace {

// Slow start never starves a returning host completely: it begins at a tenth of its weight.
constexpr double kSlowStartFloor = 0.1;

bool contains(std::span<const std::uint32_t> tried, std::size_t host) {
  return std::find(tried.begin(), tried.end(), static_cast<std::uint32_t>(host)) != tried.end();
}

std::string_view status_name(BreakerStatus s) {
  switch (s) {
    case BreakerStatus::kClosed: return "closed";
    case BreakerStatus::kOpen: return "open";
    case BreakerStatus::kHalfOpen: return "half-open";
    case BreakerStatus::kForcedOpen: return "forced open";
    case BreakerStatus::kForcedClosed: return "forced closed";
  }
  return "?";
}

}  // namespace

struct HostSelector::View {
  const Cluster& cluster;
  std::span<const std::uint32_t> tried;
  std::span<const std::uint32_t> refused;
  bool panic;
  Clock::time_point now;

  bool usable(std::size_t i) const {
    if (contains(tried, i) || contains(refused, i)) return false;
    const HostHealth& health = cluster.hosts()[i]->health();
    return health.breaker_admits(now) && (panic || health.usable(now));
  }
  double weight(std::size_t i) const {
    const UpstreamHost& host = *cluster.hosts()[i];
    const double full = host.weight();
    const auto window = std::chrono::duration_cast<Clock::duration>(cluster.config().balance.slow_start).count();
    const std::int64_t back = host.health().back_since();
    if (window == 0 || back == 0) return full;
    const std::int64_t since = HostHealth::ticks(now) - back;
    if (since >= window || since < 0) return full;
    return full * std::max(kSlowStartFloor, static_cast<double>(since) / static_cast<double>(window));
  }
};

HostSelector::HostSelector(const Cluster& cluster, std::size_t worker, std::uint64_t seed)
    : cluster_(cluster),
      worker_(worker),
      balancer_(cluster.tables(), cluster.config().balance, seed),
      window_(cluster.hosts().size()) {}

void HostSelector::update_panic(Clock::time_point now) {
  // Once per loop round (the loop's time moves once per round): the hosts' health is read for
  // every host only here, not per request.
  if (now == panic_checked_) return;
  panic_checked_ = now;
  const auto& hosts = cluster_.hosts();
  std::size_t usable = 0;
  for (const auto& host : hosts) usable += host->health().usable(now) ? 1 : 0;
  panic_ = usable * 100 < hosts.size() * cluster_.config().outlier_detection.panic_threshold_percent;
}

HostPick HostSelector::pick(std::span<const std::uint32_t> tried, std::optional<std::uint64_t> key,
                            Clock::time_point now, spdlog::logger& log) {
  update_panic(now);
  std::array<std::uint32_t, 4> refused{};
  std::size_t refusals = 0;
  for (;;) {
    const View view{cluster_, tried, std::span(refused.data(), refusals), panic_, now};
    HostPick out;
    out.at = now;
    out.host = balancer_.pick(view, key, now);
    if (out.host == kNoHost) return out;
    if (CircuitBreaker* breaker = cluster_.hosts()[out.host]->health().breaker()) {
      const std::uint32_t shard = static_cast<std::uint32_t>(std::min<std::size_t>(worker_, breaker->shard_count() - 1));
      out.permit = breaker->shard(shard).allow(now);
      note_breaker(out.host, out.permit.transition, log);
      if (!out.permit.allowed) {
        // Another worker took the last probe slot between the look and the take.
        if (refusals == refused.size()) return HostPick{};
        refused[refusals++] = static_cast<std::uint32_t>(out.host);
        continue;
      }
    }
    balancer_.on_start(out.host);
    return out;
  }
}

void HostSelector::settle(HostPick& pick, HostOutcome outcome, int status, Clock::time_point now,
                          spdlog::logger& log) {
  if (pick.host == kNoHost) return;
  const std::size_t host = pick.host;
  pick.host = kNoHost;
  balancer_.on_end(host);
  HostHealth& health = cluster_.hosts()[host]->health();
  const Clock::duration latency = now - pick.at;
  const bool gateway = outcome == HostOutcome::kGatewayFailure;
  if (outcome == HostOutcome::kAnswered && cluster_.config().balance.policy == BalancePolicy::kPeakEwma) {
    balancer_.observe(host, latency, now);  // an exp() per answer: only the policy that reads it
  }
  if (CircuitBreaker* breaker = health.breaker(); breaker != nullptr && pick.permit.allowed) {
    const std::uint32_t shard = static_cast<std::uint32_t>(std::min<std::size_t>(worker_, breaker->shard_count() - 1));
    if (outcome == HostOutcome::kAbandoned) {
      breaker->shard(shard).cancel(pick.permit);
    } else {
      const bool failed = gateway || health.breaker_failure(status);
      note_breaker(host, breaker->shard(shard).record(pick.permit, failed ? CallOutcome::kFailure : CallOutcome::kSuccess, latency, now), log);
    }
    pick.permit = {};
  }
  if (outcome == HostOutcome::kAbandoned) return;
  Window& w = window_[host];
  ++w.requests;
  if (gateway || status >= 500) {
    ++w.failures;
    note_failure(host, gateway, now, log);
  } else {
    health.record_success();
  }
}

void HostSelector::tick(Clock::time_point now, spdlog::logger& log) {
  judge_failure_percent(now, log);
  for (std::size_t i = 0; i < cluster_.hosts().size(); ++i) {
    if (CircuitBreaker* breaker = cluster_.hosts()[i]->health().breaker()) note_breaker(i, breaker->evaluate(now), log);
  }
}

void HostSelector::note_failure(std::size_t host, bool gateway, Clock::time_point now, spdlog::logger& log) {
  const UpstreamOutlierDetection& config = cluster_.config().outlier_detection;
  if (!config.enabled) return;
  HostHealth& health = cluster_.hosts()[host]->health();
  const std::uint32_t run = gateway ? health.record_gateway_failure() : health.record_5xx();
  const std::uint32_t limit = gateway ? config.consecutive_gateway_failures : config.consecutive_5xx;
  if (limit == 0 || run < limit) return;
  char why[96];
  const int n = std::snprintf(why, sizeof(why), "%u %s in a row", run, gateway ? "connect failures, resets or timeouts" : "5xx answers");
  eject(host, std::string_view(why, std::clamp<std::size_t>(n, 0, sizeof(why) - 1)), now, log);
}

bool HostSelector::eject(std::size_t host, std::string_view why, Clock::time_point now, spdlog::logger& log) {
  const UpstreamOutlierDetection& config = cluster_.config().outlier_detection;
  const auto& hosts = cluster_.hosts();
  std::size_t ejected = 0;
  for (const auto& h : hosts) ejected += h->health().ejected(now) ? 1 : 0;
  const std::size_t allowed = std::max<std::size_t>(1, hosts.size() * config.max_ejection_percent / 100);
  HostHealth& health = hosts[host]->health();
  if (ejected >= allowed || !health.eject(now, config)) return false;
  const auto length = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::min(config.base_ejection * health.ejections(), std::max(config.base_ejection, config.max_ejection)));
  log.warn("upstream \"{}\" {}: {}; out of rotation for {} ms (ejection {})", cluster_.name(), hosts[host]->address(),
           why, length.count(), health.ejections());
  return true;
}

void HostSelector::judge_failure_percent(Clock::time_point now, spdlog::logger& log) {
  const UpstreamOutlierDetection& config = cluster_.config().outlier_detection;
  if (!config.enabled || config.failure_percent == 0) return;
  if (window_end_ == Clock::time_point{}) window_end_ = now + config.interval;
  if (now < window_end_) return;
  window_end_ = now + config.interval;
  for (std::size_t i = 0; i < window_.size(); ++i) {
    const Window w = std::exchange(window_[i], Window{});
    if (w.requests == 0 || w.requests < config.failure_percent_min_requests) continue;
    if (std::uint64_t{w.failures} * 100 < std::uint64_t{w.requests} * config.failure_percent) continue;
    char why[96];
    const int n = std::snprintf(why, sizeof(why), "%u of %u requests failed in the interval", w.failures, w.requests);
    eject(i, std::string_view(why, std::clamp<std::size_t>(n, 0, sizeof(why) - 1)), now, log);
  }
}

void HostSelector::note_breaker(std::size_t host, const BreakerTransition& t, spdlog::logger& log) {
  if (!t.happened()) return;
  HostHealth& health = cluster_.hosts()[host]->health();
  if (t.to == BreakerStatus::kOpen) health.count_breaker_open();
  log.warn("upstream \"{}\" {}: breaker {} -> {}", cluster_.name(), cluster_.hosts()[host]->address(),
           status_name(t.from), status_name(t.to));
}

}  // namespace surge::detail
