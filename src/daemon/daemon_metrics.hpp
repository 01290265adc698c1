#pragma once
// DaemonMetrics: the daemon's own metrics (build, configuration reloads) and the metrics route.

#include <atomic>
#include <memory>
#include <string>

#include <surge/router.hpp>

#include "metrics/metric_sink.hpp"

namespace surge::detail {

class PrometheusCollector;

/// surge_build_info and the configuration reload counters. Written by the signal thread (a
/// reload), read by the exporter.
class DaemonMetrics final : public MetricsProvider {
 public:
  /// The configuration was loaded at start-up (sets the last-success time, counts no reload).
  void loaded();
  void reload_succeeded();
  void reload_failed();
  void collect(MetricSink& sink) const override;

 private:
  std::atomic<std::uint64_t> reloads_ok_{0};
  std::atomic<std::uint64_t> reloads_failed_{0};
  std::atomic<double> last_success_seconds_{0};
};

/// GET `path` answering the text exposition format. Collection and serialisation run on the
/// offload pool (a scrape of many routes and workers takes milliseconds: not on a worker).
void add_metrics_route(Router& router, const std::string& path,
                       std::shared_ptr<const PrometheusCollector> collector);

}  // namespace surge::detail
