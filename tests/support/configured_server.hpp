#pragma once
// ConfiguredServer: surged's routes from a configuration document, served in-process on an
// ephemeral loopback port (the test's other server settings). For test binaries that link
// surge_daemon.

#include <memory>
#include <string>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/test_server.hpp"

namespace surge::test {

class ConfiguredServer {
 public:
  explicit ConfiguredServer(const std::string& json)
      : config_(detail::parse_config(json, "test.json")),
        readiness_(std::make_shared<detail::Readiness>()),
        server_(test_config(), detail::build_router(config_, "test.json", readiness_, nullptr)) {}
  std::uint16_t port() const { return server_.port(); }
  detail::Readiness& readiness() { return *readiness_; }

 private:
  detail::DaemonConfig config_;
  std::shared_ptr<detail::Readiness> readiness_;
  TestServer server_;
};

}  // namespace surge::test
