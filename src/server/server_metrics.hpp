#pragma once
// ServerMetrics: the engine's own metrics (connections, refusals, pools, workers), at scrape time.

#include "metrics/metric_sink.hpp"

namespace surge::detail {

class WorkerPool;

/// Sums every worker's counters into sink. Runs on the exporter thread; reads only the workers'
/// single-writer atomics and published pool figures, so it never blocks or slows a worker.
void collect_server_metrics(WorkerPool& pool, MetricSink& sink);

}  // namespace surge::detail
