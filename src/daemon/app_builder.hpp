#pragma once
// AppBuilder: surged's router, from its configuration.

#include <memory>
#include <string>

#include <surge/router.hpp>

#include "config/daemon_config.hpp"
#include "daemon/readiness.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

class HealthChecker;
class Resolver;

/// The threads that look after the upstreams off the workers (null: none).
struct UpstreamServices {
  Resolver* resolver = nullptr;              // names resolved again periodically
  HealthChecker* health_checker = nullptr;   // the active health checks
};

/// Registers the configured routes (each handler made by its kind's factory, see
/// config/handler_kind.hpp), the built-in endpoints and the global middleware on a Router. A
/// route the router refuses (a conflict, a bad pattern, a files root that cannot be opened)
/// becomes a ConfigError naming `file` and the route's JSON path, so --check-config reports it
/// too; so does a protection config that fails its validate() (one built by hand).
/// services: where the upstreams' names are resolved again and their hosts checked.
Router build_router(const DaemonConfig& config, const std::string& file,
                    std::shared_ptr<const Readiness> readiness,
                    std::shared_ptr<spdlog::logger> log, UpstreamServices services = {});

}  // namespace surge::detail
