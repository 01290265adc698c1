#pragma once
// Recover: turns an exception escaping the rest of the chain into a 500, a log line and a count.

#include <cstdint>
#include <memory>

#include <surge/builtin_middleware.hpp>
#include <surge/middleware.hpp>

#include "metrics/counter.hpp"
#include "middleware/per_worker.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

struct RecoverCounters {
  std::uint64_t panics = 0;  // exceptions caught
};

/// See make_recover() for the contract. Owns per-worker counters; the logger is shared (spdlog
/// loggers are thread-safe) and only used on the exception path.
class Recover final : public Middleware, public MetricsProvider {
 public:
  Recover(std::shared_ptr<spdlog::logger> log, RecoverConfig config);

  void handle(Context& ctx, Next& next) override;
  void attach(std::size_t workers) override { shards_.reset(workers); }

  /// Summed over workers; any thread.
  RecoverCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;

 private:
  struct alignas(64) Shard {
    Counter panics;
  };

  void recover(Context& ctx, const char* what) noexcept;
  void log(Context& ctx, const char* what) noexcept;

  std::shared_ptr<spdlog::logger> log_;
  RecoverConfig config_;
  PerWorker<Shard> shards_;
};

}  // namespace surge::detail
