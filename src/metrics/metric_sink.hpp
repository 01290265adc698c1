#pragma once
// MetricSink: how surge's components describe their metrics at scrape time, without Prometheus.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>

namespace surge::detail {

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

/// Called by the exporter thread at scrape time, never by a worker. A component reads its
/// per-worker counters (single-writer atomics), sums them, and reports each sample here; the
/// sink builds the Prometheus families. Samples of one metric name may come in several calls
/// (one per label set); `help` must be the same each time.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  virtual void counter(std::string_view name, std::string_view help,
                       std::initializer_list<MetricLabel> labels, double value) = 0;
  virtual void gauge(std::string_view name, std::string_view help,
                     std::initializer_list<MetricLabel> labels, double value) = 0;
  /// bucket_counts[i] counts observations <= bounds[i] (not cumulative); the last entry of
  /// bucket_counts (one more than bounds) counts those above the last bound. sum in base units.
  virtual void histogram(std::string_view name, std::string_view help,
                         std::initializer_list<MetricLabel> labels, std::span<const double> bounds,
                         std::span<const std::uint64_t> bucket_counts, double sum) = 0;
};

/// A component with metrics of its own (a middleware, the engine).
class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  virtual void collect(MetricSink& sink) const = 0;
};

}  // namespace surge::detail
