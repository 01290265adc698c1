#pragma once
// BreakerGuard: a circuit breaker (limit/circuit_breaker.hpp) around the rest of a route's chain.
// (circuit_breaker.hpp is the algorithm's; this is the middleware that asks it and feeds it.)

#include <array>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>

#include <surge/context.hpp>
#include <surge/middleware.hpp>
#include <surge/traffic_protection.hpp>

#include "limit/circuit_breaker.hpp"
#include "metrics/counter.hpp"
#include "middleware/per_worker.hpp"
#include "middleware/rejection.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

inline constexpr std::size_t kBreakerStatuses = 5;  // BreakerStatus values

struct BreakerGuardCounters {
  std::uint64_t allowed = 0;    // calls let through
  std::uint64_t rejected = 0;   // answered 503 without running the handler
  std::uint64_t successes = 0;  // outcomes recorded as success
  std::uint64_t failures = 0;   // outcomes recorded as failure
  std::uint64_t untracked = 0;  // let through without an outcome (no completion slot left)
  std::uint64_t log_suppressed = 0;
  // State changes, [from][to] by BreakerStatus.
  std::array<std::array<std::uint64_t, kBreakerStatuses>, kBreakerStatuses> transitions{};
};

/// See make_circuit_breaker() for the contract.
///
/// Per request: allow() on this worker's BreakerShard (one atomic load while closed). Refused: 503.
/// Allowed: the permit and the start time are packed into the on_complete cookie (probe flag,
/// 16-bit generation, start in microseconds modulo 2^47, i.e. 4.4 years: latencies are exact
/// below that), and on_complete() classifies the final status and records it. control_tick()
/// runs CircuitBreaker::evaluate() (ratio trips, open -> half-open).
///
/// A permit whose request never completes is never recorded: on_complete runs for every
/// response, synchronous, deferred, failed deferred (504, 500) or thrown, and is skipped only
/// when a connection is force-closed with a deferred request outstanding, which happens at the
/// end of the shutdown timeout. A half-open probe lost that way keeps its slot (the breaker is
/// going away with the process); a closed-state call lost that way is just not counted.
/// The algorithm's config for a public breaker config (percentages to thousandths).
detail::CircuitBreakerConfig breaker_algorithm_config(const surge::CircuitBreakerConfig& config);

class BreakerGuard final : public Middleware, public MetricsProvider {
 public:
  /// Throws std::invalid_argument for an invalid config.
  BreakerGuard(surge::CircuitBreakerConfig config, std::shared_ptr<spdlog::logger> log);

  void handle(Context& ctx, Next& next) override;
  /// Builds the breaker with one shard per worker and applies the config's override.
  void attach(std::size_t workers) override;
  void on_complete(Context& ctx, std::uint64_t cookie) override;
  void control_tick(std::chrono::steady_clock::time_point now) override;

  /// Whether a final status counts as a failed call.
  bool is_failure(int status) const;
  /// Summed over workers and the control thread; any thread.
  BreakerGuardCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;
  const CircuitBreaker& breaker() const { return *breaker_; }
  CircuitBreaker& breaker() { return *breaker_; }

 private:
  struct alignas(64) Shard {
    LogThrottle log;
    Counter allowed, rejected, successes, failures, untracked;
    std::array<Counter, kBreakerStatuses * kBreakerStatuses> transitions;
  };

  /// The shard of worker `worker`; the control thread's is the last one.
  Shard& shard_of(std::size_t worker) { return shards_[worker < workers_ ? worker : workers_ - 1]; }
  Shard& control_shard() { return shards_[workers_]; }
  BreakerShard& breaker_shard(std::size_t worker);
  /// Logs and counts a transition (no-op for kNone).
  void note(const BreakerTransition& t, Shard& shard);
  std::uint64_t retry_after_s(const BreakerPermit& permit) const;
  void log_rejection(Context& ctx, Shard& shard, Clock::time_point now) const;

  surge::CircuitBreakerConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::bitset<600> failure_statuses_;
  std::string body_;  // circuit breaker "<name>" is open\n
  std::unique_ptr<CircuitBreaker> breaker_;
  std::size_t workers_ = 1;
  PerWorker<Shard> shards_;  // workers_ + 1
};

}  // namespace surge::detail
