#pragma once
// RequestMetrics: http_requests_total and the per-route histograms, from per-worker shards.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/counter.hpp"
#include "metrics/metrics_config.hpp"
#include "metrics/metric_sink.hpp"
#include "server/request_observer.hpp"

namespace surge::detail {

/// Observes every answered request on its worker (a few single-writer counter updates, no lock,
/// no allocation) and sums the workers' shards when Prometheus scrapes:
///   http_requests_total{method, route, code}
///   http_request_duration_seconds{route}   (from the first byte parsed to the response queued)
///   http_request_size_bytes{route}, http_response_size_bytes{route}
/// `route` is the route pattern, or "unmatched" for requests no route took (404s, refusals):
/// never the raw path, so the number of series is bounded.
class RequestMetrics final : public RequestObserver, public MetricsProvider {
 public:
  RequestMetrics(HttpMetricsConfig config, std::vector<std::string> route_labels, std::size_t workers);
  ~RequestMetrics() override;

  void on_request(const CompletedRequest& request) override;
  void collect(MetricSink& sink) const override;

 private:
  struct Shard;

  HttpMetricsConfig config_;
  std::vector<std::string> route_labels_;  // index == route index; plus "unmatched" at the end
  std::vector<std::uint64_t> duration_bounds_ns_;
  std::vector<std::uint64_t> size_bounds_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace surge::detail
