#include "upstream/host_health.hpp"

#include <algorithm>

namespace surge::detail {

bool HostHealth::eject(Clock::time_point now, const UpstreamOutlierDetection& config) {
  const std::int64_t t = ticks(now);
  std::int64_t until = ejected_until_.load(std::memory_order_relaxed);
  if (until > t) return false;  // out already
  // A host that stayed in for the cap's length since its last ejection starts again from one
  // base time: old trouble is forgotten, as Envoy lowers its multiplier while a host behaves.
  const auto max_ticks = std::chrono::duration_cast<Clock::duration>(config.max_ejection).count();
  std::uint32_t times = ejections_.load(std::memory_order_relaxed);
  if (t - ejection_ended_.load(std::memory_order_relaxed) > max_ticks) times = 0;
  const auto base_ticks = std::chrono::duration_cast<Clock::duration>(config.base_ejection).count();
  const std::int64_t length = std::min<std::int64_t>(base_ticks * (times + 1), std::max(base_ticks, max_ticks));
  if (!ejected_until_.compare_exchange_strong(until, t + length, std::memory_order_relaxed)) return false;
  ejections_.store(times + 1, std::memory_order_relaxed);
  ejection_ended_.store(t + length, std::memory_order_relaxed);
  back_since_.store(t + length, std::memory_order_relaxed);
  run_5xx_.store(0, std::memory_order_relaxed);
  run_gateway_.store(0, std::memory_order_relaxed);
  ejections_total_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

HealthChange HostHealth::set_active(bool healthy, Clock::time_point now) {
  const bool was_down = active_down_.load(std::memory_order_relaxed);
  if (was_down == !healthy) return HealthChange::kNone;
  active_down_.store(!healthy, std::memory_order_relaxed);
  if (!healthy) return HealthChange::kActiveDown;
  back_since_.store(ticks(now), std::memory_order_relaxed);
  // The check says it is well: a passive ejection still running ends too (Envoy un-ejects a host
  // that passes its active check).
  ejected_until_.store(0, std::memory_order_relaxed);
  run_5xx_.store(0, std::memory_order_relaxed);
  run_gateway_.store(0, std::memory_order_relaxed);
  return HealthChange::kActiveUp;
}

void HostHealth::set_breaker(const HostBreakerConfig& config) {
  breaker_ = std::make_unique<CircuitBreaker>(config.algorithm, config.workers);
  breaker_failures_ = config.failure_statuses;
  if (config.force_open) breaker_->force_open();
  if (config.force_closed) breaker_->force_closed();
}

bool HostHealth::breaker_admits(Clock::time_point now) const {
  if (!breaker_) return true;
  const BreakerWord word = breaker_->state();
  switch (word.status) {
    case BreakerStatus::kClosed:
    case BreakerStatus::kForcedClosed:
      return true;
    case BreakerStatus::kOpen:
      return to_ns(now) >= static_cast<std::int64_t>(word.open_until_ms) * 1'000'000;
    case BreakerStatus::kHalfOpen:
      return word.probes_issued < breaker_->config().half_open_max_calls;
    case BreakerStatus::kForcedOpen:
      return false;
  }
  return true;
}

}  // namespace surge::detail
