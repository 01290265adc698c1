#pragma once
// HostHealth: one upstream host's health as every worker sees it (passive ejection, the active
// check's verdict, the breaker), kept in atomics so the request path only reads.

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>

#include "limit/circuit_breaker.hpp"
#include "net/deadline_list.hpp"  // Clock
#include "upstream/upstream_config.hpp"

namespace surge::detail {

/// Why a host left or rejoined the rotation, for logs and counters.
enum class HealthChange : std::uint8_t { kNone, kEjected, kActiveDown, kActiveUp };

/// The upstream's "breaker" for one host: its own breaker, and which answers count as failures
/// (a connect failure, reset or timeout always does).
struct HostBreakerConfig {
  CircuitBreakerConfig algorithm;
  std::bitset<600> failure_statuses;
  std::uint32_t workers = 1;  // one shard each
  bool force_open = false;    // the named breaker's "force"
  bool force_closed = false;
};

/// Shared by the workers and the health checker. The request path reads two words that change
/// only when a host's health changes (no shared write per request while a host is healthy: a run
/// of failures is reset only when it is not zero already). Failures, ejections and the checker's
/// verdicts are rare and write with atomics; races between workers are settled by CAS, so one
/// ejection is decided once.
class HostHealth final {
 public:
  static std::int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }

  /// Whether the host may take requests now: not ejected and not marked down by the active check.
  bool usable(Clock::time_point now) const {
    return !active_down_.load(std::memory_order_relaxed) &&
           ejected_until_.load(std::memory_order_relaxed) <= ticks(now);
  }
  bool ejected(Clock::time_point now) const { return ejected_until_.load(std::memory_order_relaxed) > ticks(now); }
  bool active_down() const { return active_down_.load(std::memory_order_relaxed); }
  /// Since when the host has been back (its ejection's end or the checker's "up"): slow start
  /// ramps its weight from here. Zero: never away.
  std::int64_t back_since() const { return back_since_.load(std::memory_order_relaxed); }
  /// Times ejected in a row (each ejection lasts that many base times, up to the cap).
  std::uint32_t ejections() const { return ejections_.load(std::memory_order_relaxed); }

  // --- The breaker (workers) ----------------------------------------------------------------------
  /// The host's own breaker, or null when the upstream names none.
  CircuitBreaker* breaker() const { return breaker_.get(); }
  void set_breaker(const HostBreakerConfig& config);
  /// Without taking a permit: whether allow() could let a call through now (closed, open past its
  /// time, half-open with a probe slot free). A pick looks before it takes.
  bool breaker_admits(Clock::time_point now) const;
  bool breaker_failure(int status) const {
    return status >= 0 && status < 600 && breaker_failures_.test(static_cast<std::size_t>(status));
  }

  // --- Passive (workers) ---------------------------------------------------------------------
  /// A response that was not a 5xx: ends both runs.
  void record_success() {
    if (run_5xx_.load(std::memory_order_relaxed) != 0) run_5xx_.store(0, std::memory_order_relaxed);
    if (run_gateway_.load(std::memory_order_relaxed) != 0) run_gateway_.store(0, std::memory_order_relaxed);
  }
  /// A 5xx answer; returns the run's length now (a gateway failure's run is not ended by it).
  std::uint32_t record_5xx() { return run_5xx_.fetch_add(1, std::memory_order_relaxed) + 1; }
  /// A connect failure, reset or timeout; returns the run's length now.
  std::uint32_t record_gateway_failure() { return run_gateway_.fetch_add(1, std::memory_order_relaxed) + 1; }
  /// Takes the host out until now + the grown ejection time, unless another worker did already.
  /// True for the one caller that ejected it.
  bool eject(Clock::time_point now, const UpstreamOutlierDetection& config);

  // --- Active (the health checker's thread) ------------------------------------------------------
  /// The checker's verdict after its thresholds; returns the change it made (kNone: none).
  HealthChange set_active(bool healthy, Clock::time_point now);

  /// Counters for the exporter (any thread).
  std::uint64_t ejections_total() const { return ejections_total_.load(std::memory_order_relaxed); }
  std::uint64_t breaker_opens_total() const { return breaker_opens_.load(std::memory_order_relaxed); }
  void count_breaker_open() { breaker_opens_.fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t checks_total() const { return checks_total_.load(std::memory_order_relaxed); }
  std::uint64_t check_failures_total() const { return check_failures_.load(std::memory_order_relaxed); }
  void count_check(bool passed) {
    checks_total_.fetch_add(1, std::memory_order_relaxed);
    if (!passed) check_failures_.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  std::unique_ptr<CircuitBreaker> breaker_;
  std::bitset<600> breaker_failures_;
  // Read on every pick: one line, written only at health changes.
  alignas(64) std::atomic<std::int64_t> ejected_until_{0};
  std::atomic<bool> active_down_{false};
  std::atomic<std::int64_t> back_since_{0};
  std::atomic<std::uint32_t> ejections_{0};
  std::atomic<std::int64_t> ejection_ended_{0};  // when the last ejection ends (its decay counts from here)
  // Written by failures (and reset by the first success after them): a line of their own.
  alignas(64) std::atomic<std::uint32_t> run_5xx_{0};
  std::atomic<std::uint32_t> run_gateway_{0};
  std::atomic<std::uint64_t> ejections_total_{0};
  std::atomic<std::uint64_t> breaker_opens_{0};
  std::atomic<std::uint64_t> checks_total_{0};
  std::atomic<std::uint64_t> check_failures_{0};
};

}  // namespace surge::detail
