#pragma once
// PrometheusCollector: surge's metric sources, summed into Prometheus families at scrape time.

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "metrics/metric_sink.hpp"

namespace surge::detail {

/// A prometheus::Collectable whose Collect() asks every source to report into a MetricSink and
/// turns the samples into families. Runs on whichever thread scrapes (the exporter's, or the
/// offload pool for /metrics on the main listener); the sources read per-worker single-writer
/// counters, so a scrape never takes a lock a worker could wait on. Sources are registered at
/// start-up (a mutex guards the list against a scrape racing a late registration, never a
/// worker). Samples with the same name and labels from several sources are summed (a reload
/// that changed the routes keeps the old request metrics as a source beside the new ones).
class PrometheusCollector final : public prometheus::Collectable {
 public:
  using Source = std::function<void(MetricSink&)>;

  void add_source(Source source);
  /// Adds a source under `key`, or replaces the one registered under it (which is released).
  void set_source(const std::string& key, Source source);
  std::vector<prometheus::MetricFamily> Collect() const override;
  /// The text exposition format (what /metrics answers).
  std::string serialize() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, Source>> sources_;  // key "" for add_source()
};

}  // namespace surge::detail
