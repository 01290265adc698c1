#include "limit/adaptive_limit.hpp"

#include <algorithm>

namespace surge::detail {
namespace {

// Latencies are clamped to an hour so that sums and products stay far inside 64 bits.
constexpr std::int64_t kMaxLatencyNs = std::int64_t{3600} * 1'000'000'000;

AdaptiveLimitConfig normalise(AdaptiveLimitConfig c) {
  c.min_limit = std::max<std::uint32_t>(c.min_limit, 1);
  c.max_limit = std::max(c.max_limit, c.min_limit);
  c.initial_limit = std::clamp(c.initial_limit, c.min_limit, c.max_limit);
  c.min_samples = std::max<std::uint32_t>(c.min_samples, 1);
  c.tolerance = std::clamp<std::uint32_t>(c.tolerance, 1000, 100'000);
  c.backoff = std::min<std::uint32_t>(c.backoff, 1000);
  c.probe_interval = std::max(c.probe_interval, Clock::duration::zero());
  return c;
}

}  // namespace

AdaptiveLimit::AdaptiveLimit(const AdaptiveLimitConfig& config, Clock::time_point now,
                             Clock::duration stagger)
    : config_(normalise(config)),
      stagger_(stagger),
      limit_(config_.initial_limit),
      probe_start_(now) {}

void AdaptiveLimit::on_sample(Clock::time_point now, Clock::duration latency,
                              std::uint32_t inflight) {
  const std::int64_t latency_ns = std::clamp<std::int64_t>(latency.count(), 0, kMaxLatencyNs);
  // A probe measures requests that ran under the probe's low limit, not those queued before it.
  if (probing_ && now - Clock::duration(latency_ns) < probe_start_) return;
  if (samples_ == 0) window_start_ = now;
  ++samples_;
  latency_sum_ns_ += static_cast<std::uint64_t>(latency_ns);
  peak_inflight_ = std::max(peak_inflight_, inflight);
  if (samples_ < config_.min_samples || now - window_start_ < config_.window) return;
  close_window(static_cast<std::int64_t>(latency_sum_ns_ / samples_), now);
  samples_ = 0;
  latency_sum_ns_ = 0;
  peak_inflight_ = 0;
}

void AdaptiveLimit::close_window(std::int64_t average_ns, Clock::time_point now) {
  if (probing_) {
    baseline_ns_ = std::max<std::int64_t>(average_ns, 1);
    probing_ = false;
    next_probe_ = now + config_.probe_interval + stagger_;
    stagger_ = Clock::duration::zero();  // later probes keep the offset the first one set
    return;
  }
  if (average_ns * 1000 > baseline_ns_ * config_.tolerance) {
    limit_ = std::max<std::uint32_t>(
        config_.min_limit,
        static_cast<std::uint32_t>(std::uint64_t{limit_} * config_.backoff / 1000));
  } else if (std::uint64_t{peak_inflight_} * 2 >= limit_) {
    limit_ = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(config_.max_limit, std::uint64_t{limit_} + config_.increase));
  }
  baseline_ns_ = std::min(baseline_ns_, std::max<std::int64_t>(average_ns, 1));
  if (config_.probe_interval > Clock::duration::zero() && now >= next_probe_) {
    probing_ = true;
    probe_start_ = now;
  }
}

}  // namespace surge::detail
