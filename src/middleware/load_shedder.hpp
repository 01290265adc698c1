#pragma once
// LoadShedder: a bound on the requests in progress per worker, fixed or adaptive.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <surge/context.hpp>
#include <surge/middleware.hpp>
#include <surge/traffic_protection.hpp>

#include "limit/adaptive_limit.hpp"
#include "metrics/counter.hpp"
#include "middleware/per_worker.hpp"
#include "middleware/rejection.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

struct LoadShedderCounters {
  std::uint64_t admitted = 0;   // requests let through (and counted in flight)
  std::uint64_t shed = 0;       // answered 503
  std::uint64_t untracked = 0;  // let through uncounted (no completion slot left)
  std::uint64_t log_suppressed = 0;
  std::int64_t in_flight = 0;  // gauge: requests in progress now, all workers
  std::int64_t limit = 0;      // gauge: the sum of the workers' current limits
};

/// See make_load_shedder() for the contract.
///
/// A request is in flight from handle() until on_complete() (its response is final), so a
/// deferred or offloaded request counts while it waits. Per worker: an in-flight count (plain
/// integer: only its worker touches it) and, in adaptive mode, an AdaptiveLimit fed one sample per
/// completed request (its latency from handle() and the in-flight count at completion). The
/// bound is min(max_in_flight_per_worker, adaptive limit). Workers' adaptive probes are
/// staggered by worker_index * probe_interval / workers.
///
/// The in-flight count of a request whose on_complete never runs (a connection force-closed with
/// a deferred request outstanding, at the end of the shutdown timeout) is never given back: it
/// happens only as the process stops.
class LoadShedder final : public Middleware, public MetricsProvider {
 public:
  /// Throws std::invalid_argument for an invalid config.
  LoadShedder(LoadShedConfig config, std::shared_ptr<spdlog::logger> log);

  void handle(Context& ctx, Next& next) override;
  void attach(std::size_t workers) override;
  void on_complete(Context& ctx, std::uint64_t cookie) override;

  /// Summed over workers; any thread.
  LoadShedderCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;
  /// Worker `worker`'s bound now (its gauge; any thread).
  std::uint32_t limit(std::size_t worker) const;

 private:
  struct alignas(64) Shard {
    std::uint32_t in_flight = 0;
    std::optional<AdaptiveLimit> adaptive;
    LogThrottle log;
    Counter admitted, shed, untracked;
    Gauge in_flight_gauge, limit_gauge;
  };

  std::uint32_t bound(const Shard& shard) const;
  void log_shed(Context& ctx, Shard& shard, Clock::time_point now) const;

  LoadShedConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::string body_;  // server overloaded: "<name>" in-flight limit reached\n
  PerWorker<Shard> shards_;
};

}  // namespace surge::detail
