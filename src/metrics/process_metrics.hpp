#pragma once
// ProcessMetrics: the standard process_* metrics, read from /proc at scrape time.

#include "metrics/metric_sink.hpp"

namespace surge::detail {

/// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
/// process_open_fds, process_max_fds, process_start_time_seconds: the names and meanings of the
/// Prometheus client libraries' process collectors, so dashboards built for them work.
class ProcessMetrics final : public MetricsProvider {
 public:
  ProcessMetrics();
  void collect(MetricSink& sink) const override;

 private:
  double start_time_seconds_ = 0;
};

}  // namespace surge::detail
