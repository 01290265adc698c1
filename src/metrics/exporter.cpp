#include "metrics/exporter.hpp"

#include <stdexcept>

#include <prometheus/exposer.h>

#include "metrics/prometheus_collector.hpp"

namespace surge::detail {

Exporter::Exporter(const std::string& address, const std::string& path,
                   std::shared_ptr<PrometheusCollector> collector)
    : collector_(std::move(collector)) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + address + ": " + e.what());
  }
  exposer_->RegisterCollectable(collector_, path);
}

Exporter::~Exporter() = default;

std::uint16_t Exporter::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

}  // namespace surge::detail
