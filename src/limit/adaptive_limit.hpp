#pragma once
// AdaptiveLimit: a per-worker concurrency limit that falls when latency rises (load shedding).

#include <chrono>
#include <cstdint>

#include "limit/clock.hpp"

namespace surge::detail {

/// Every field has a default that suits a worker serving requests of a few ms; out-of-range
/// values are clamped by the constructor. Ratios are in thousandths.
struct AdaptiveLimitConfig {
  // Limit before the first adjustment (in-flight requests on this worker). Default 50.
  std::uint32_t initial_limit = 50;
  // Bounds of the limit. min_limit is also the limit while probing. Defaults 4 and 1000.
  std::uint32_t min_limit = 4;
  std::uint32_t max_limit = 1000;
  // A window closes at the first sample once it has lasted `window` and holds `min_samples`
  // samples; the limit changes only when a window closes. Defaults 100 ms and 20.
  Clock::duration window = std::chrono::milliseconds(100);
  std::uint32_t min_samples = 20;
  // A window whose average latency exceeds baseline * tolerance / 1000 is congested. Default 1500
  // (50% above the baseline; Netflix Gradient2's rttTolerance is 1.5). 1000..100000.
  std::uint32_t tolerance = 1500;
  // Congested window: limit = limit * backoff / 1000. Default 900 (Netflix AIMD backoffRatio).
  std::uint32_t backoff = 900;
  // Uncongested window in which the limit was used (peak in-flight >= limit / 2): limit +=
  // increase. Default 2.
  std::uint32_t increase = 2;
  // Every probe_interval one window runs at min_limit and its average latency becomes the new
  // baseline (Envoy's minRTT recalculation). 0: never re-measure (the baseline can then only
  // fall). Default 60 s (Envoy's min_rtt_calc_interval).
  Clock::duration probe_interval = std::chrono::seconds(60);
};

/// AIMD on latency against a measured no-load baseline, per worker.
///
/// Inputs: one sample per completed request (its latency and the worker's in-flight count). Output:
/// limit(); the load-shedding middleware refuses a request (503) when in-flight >= limit().
/// Per window (see AdaptiveLimitConfig::window):
///   avg = sum(latency) / samples
///   if avg * 1000 > baseline * tolerance:        limit = max(min_limit, limit * backoff / 1000)
///   else if peak_inflight * 2 >= limit:          limit = min(max_limit, limit + increase)
///   baseline = min(baseline, avg)
/// Baseline: the first window after construction, and one window every probe_interval, is a probe:
/// the limit drops to min_limit for that window, only requests admitted during it are sampled,
/// and their average replaces the baseline. Probing is what keeps the baseline from drifting: a
/// baseline learnt from loaded windows creeps up with the queueing it should detect (the known
/// weakness of Gradient2's long-term average), and a minimum alone never follows a backend that
/// became permanently slower. The cost is shedding down to min_limit for one window per
/// probe_interval (about 0.2% of the time with the defaults); stagger workers so they do not probe
/// at the same time.
///
/// Single-threaded (one per worker); deterministic: time comes only from the arguments.
class AdaptiveLimit final {
 public:
  /// `stagger` delays this worker's probes (e.g. worker_index * probe_interval / workers).
  explicit AdaptiveLimit(const AdaptiveLimitConfig& config, Clock::time_point now,
                         Clock::duration stagger = Clock::duration::zero());

  /// A request admitted at `now - latency` completed at `now`; `inflight` is the worker's
  /// in-flight count at completion (including it). `now` must not decrease between calls.
  void on_sample(Clock::time_point now, Clock::duration latency, std::uint32_t inflight);

  /// The in-flight limit now (min_limit while probing).
  std::uint32_t limit() const { return probing_ ? config_.min_limit : limit_; }
  bool admits(std::uint32_t inflight) const { return inflight < limit(); }

  /// Zero until the first probe window closes.
  Clock::duration baseline() const { return Clock::duration(baseline_ns_); }
  bool probing() const { return probing_; }

 private:
  void close_window(std::int64_t average_ns, Clock::time_point now);

  AdaptiveLimitConfig config_;
  Clock::duration stagger_;
  std::uint32_t limit_;
  std::int64_t baseline_ns_ = 0;
  bool probing_ = true;
  Clock::time_point probe_start_;
  Clock::time_point next_probe_{};
  // The open window.
  Clock::time_point window_start_{};
  std::uint32_t samples_ = 0;
  std::uint64_t latency_sum_ns_ = 0;
  std::uint32_t peak_inflight_ = 0;
};

}  // namespace surge::detail
