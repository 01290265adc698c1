#pragma once
// Exporter: the Prometheus endpoint on its own thread and address, beside the workers.

#include <cstdint>
#include <memory>
#include <string>

namespace prometheus {
class Exposer;
}

namespace surge::detail {

class PrometheusCollector;

/// prometheus-cpp's pull Exposer (its own HTTP thread, civetweb) serving `path` on `address`
/// ("127.0.0.1:9464"; port 0 picks one). Scrapes run on that thread and only read the workers'
/// counters. Throws if it cannot listen (start-up): std::system_error with the socket error when
/// one explains it, what() "cannot serve metrics on 127.0.0.1:9464: Address already in use";
/// otherwise std::runtime_error, "cannot serve metrics on <address>: <CivetWeb's message>".
class Exporter final {
 public:
  Exporter(const std::string& address, const std::string& path,
           std::shared_ptr<PrometheusCollector> collector);
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  /// The port it listens on (resolves port 0).
  std::uint16_t port() const;

 private:
  std::shared_ptr<PrometheusCollector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace surge::detail
