#pragma once
// CircuitBreaker: a closed / open / half-open breaker shared by all workers of the process.

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "limit/breaker_shard.hpp"
#include "limit/breaker_state.hpp"
#include "limit/breaker_window.hpp"
#include "limit/clock.hpp"

namespace surge::detail {

/// Sentinel's three strategies (error ratio, slow-call ratio, error count) and resilience4j's
/// slow-call rate, over one rolling window. Ratios are in thousandths (nginx's fixed point).
/// Out-of-range values are clamped when the breaker is built.
struct CircuitBreakerConfig {
  // Length of the rolling window. Default 10 s (resilience4j: 100 calls or 60 s; Sentinel: 1 s).
  Clock::duration window = std::chrono::seconds(10);
  // Buckets the window is divided into; its resolution is window / window_buckets (>= 1 ms).
  // Default 10.
  std::uint32_t window_buckets = 10;
  // Calls in the window (all workers) before a ratio may trip. Default 20.
  std::uint32_t min_requests = 20;
  // Trip when failures * 1000 >= calls * failure_ratio. 0 disables. Thousandths; default 500.
  std::uint32_t failure_ratio = 500;
  // A call that takes longer than this is slow. Default 1 s.
  Clock::duration slow_call = std::chrono::seconds(1);
  // Trip when slow * 1000 >= calls * slow_call_ratio. 0 disables (default). Thousandths.
  std::uint32_t slow_call_ratio = 0;
  // Trip when one worker sees this many failures in a row (a success on another worker does not
  // break its run). 0 disables (default).
  std::uint32_t consecutive_failures = 0;
  // Time open before half-open. Default 5 s (gobreaker: 60 s; resilience4j: 60 s).
  Clock::duration open_duration = std::chrono::seconds(5);
  // Each re-open without an intervening close multiplies the open time by this, in thousandths.
  // 1000 (default) keeps it fixed; 2000 doubles it.
  std::uint32_t open_multiplier = 1000;
  // Cap of the grown open time. Default 60 s.
  Clock::duration max_open_duration = std::chrono::seconds(60);
  // Probe calls let through in half-open; the breaker closes when all of them succeed and
  // re-opens at the first failure (gobreaker's rule). 1..2^20-1; default 5.
  std::uint32_t half_open_max_calls = 5;
};

/// One breaker (per route or route group), shared by every worker.
///
/// State lives in one atomic word (BreakerState): status, generation, open-until and the half-open
/// probe counts. Outcomes are counted per worker in single-writer windows (BreakerShard). Who moves
/// the breaker:
///   closed -> open         evaluate() (ratios over all shards) or a worker (consecutive failures)
///   open -> half-open      the first allow() after open_until, or evaluate()
///   half-open -> open      the worker recording a failed (or, with slow_call_ratio on, slow) probe
///   half-open -> closed    the worker recording the last of half_open_max_calls probe successes
/// Every move is a CAS on the word, bumps the generation, and is reported to exactly one caller as
/// a BreakerTransition. A probe that never reports keeps its slot: callers must cancel() permits
/// they drop.
///
/// evaluate() should run every ~100 ms on one thread (a control-thread timer); a ratio trip lags
/// by at most that period. Any thread may call evaluate(), state(), window_counts() and the
/// overrides, concurrently with workers. Construct and destroy while no worker uses it.
class CircuitBreaker final {
 public:
  /// `shards`: one per worker (>= 1). Allocates every shard's window here.
  CircuitBreaker(const CircuitBreakerConfig& config, std::uint32_t shards);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  /// Worker `index`'s shard; only that worker may call its allow(), record() and cancel().
  BreakerShard& shard(std::uint32_t index) { return *shards_[index]; }
  std::uint32_t shard_count() const { return static_cast<std::uint32_t>(shards_.size()); }

  /// Merges the shards' windows and trips on a ratio; moves open -> half-open when due.
  BreakerTransition evaluate(Clock::time_point now);

  /// Manual overrides (config and reload). Each bumps the generation, so in-flight results are
  /// ignored; clear_override() returns to closed with an empty window. No-ops return kNone.
  BreakerTransition force_open();
  BreakerTransition force_closed();
  BreakerTransition clear_override();

  BreakerWord state() const { return state_.load(); }
  /// The current generation's counts over the window ending at `now` (metrics, tests).
  WindowCounts window_counts(Clock::time_point now) const;
  /// The config as normalised (clamped) by the constructor.
  const CircuitBreakerConfig& config() const { return config_; }

 private:
  friend class BreakerShard;

  /// CAS `from` -> open with the grown open duration. kNone if the word had moved.
  BreakerTransition trip(const BreakerWord& from, TransitionReason reason, Clock::time_point now);
  /// CAS `from` -> `to`. kNone if the word had moved.
  BreakerTransition move(const BreakerWord& from, const BreakerWord& to, TransitionReason reason);
  BreakerTransition override_to(BreakerStatus status, TransitionReason reason);
  Clock::duration open_duration(std::uint8_t trips) const;

  CircuitBreakerConfig config_;
  BreakerState state_;
  std::vector<std::unique_ptr<BreakerShard>> shards_;
};

}  // namespace surge::detail
