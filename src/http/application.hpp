#pragma once
// Application: what a server session calls for each request (a frozen Router is one). Built
// once, then shared read-only.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "http/request_error.hpp"
#include "metrics/metric_sink.hpp"

namespace surge::detail {

class Exchange;

/// Built on the main thread, then frozen and shared by every worker (a reload builds a new one
/// and swaps it in). Both calls run on the worker that owns the connection and must not block.
class Application {
 public:
  virtual ~Application() = default;

  /// The header section is complete and the body not yet read: route, and refuse what must be
  /// refused before reading the body (a route's body limit). Anything but kNone is answered by
  /// the engine like a parse error (status, body, log line, counter, close).
  virtual RequestError on_header(Exchange& exchange) const = 0;
  /// The whole request is there: answer it (or leave it unanswered for an empty 200, or defer).
  virtual void handle(Exchange& exchange) const = 0;
  /// Called once before serving with the number of workers (middleware size per-worker state).
  virtual void attach(std::size_t /*workers*/) const {}
  /// Called about every 100 ms on the server's control thread (state shared across workers).
  virtual void control_tick(std::chrono::steady_clock::time_point /*now*/) const {}
  /// The label of each route index (Exchange::route_index), for per-route metrics.
  virtual std::vector<std::string> route_labels() const { return {}; }
  /// The metrics of the application's own components (middleware). Exporter thread.
  virtual void collect_metrics(MetricSink& /*sink*/) const {}
};

}  // namespace surge::detail
