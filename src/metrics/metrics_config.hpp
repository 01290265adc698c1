#pragma once
// MetricsConfig: the Prometheus exporter's settings (plain data, defaults documented).

#include <cstddef>
#include <string>
#include <vector>

namespace surge::detail {

/// Histogram buckets and bounds of the HTTP metrics (plain data; defaults as documented).
struct HttpMetricsConfig {
  /// http_request_duration_seconds bucket bounds, seconds, increasing.
  std::vector<double> duration_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,   5,     10};
  /// http_request_size_bytes / http_response_size_bytes bucket bounds, bytes, increasing.
  std::vector<double> size_buckets{64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                                   16777216};
  /// Distinct (route, method, code) series each worker counts; further ones are counted in
  /// surge_metrics_series_overflow_total instead. Default 4096.
  std::size_t max_series_per_worker = 4096;

  bool operator==(const HttpMetricsConfig&) const = default;
};

struct MetricsConfig {
  /// Collect metrics at all. Default true (the cost is a few counter updates per request).
  bool enabled = true;
  /// The exporter's own listener ("127.0.0.1:9464"; port 0 picks one; "" for none). A separate
  /// address keeps metrics off the public port. Default "127.0.0.1:9464".
  std::string listen = "127.0.0.1:9464";
  /// Path of the metrics, on the exporter and on the main listener. Default "/metrics".
  std::string path = "/metrics";
  /// Also answer `path` on the main listener(s) (collected on the offload pool, never on a
  /// worker). Default true.
  bool serve_on_main_listener = true;
  HttpMetricsConfig http;

  bool operator==(const MetricsConfig&) const = default;
};

}  // namespace surge::detail
