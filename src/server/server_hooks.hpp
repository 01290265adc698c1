#pragma once
// ServerHooks: what surged needs from a Server beyond the public API. Embedders build a Server
// from a Router or a Handler (<surge/server.hpp>) and never see these.

#include <memory>
#include <string>
#include <vector>

#include <surge/server.hpp>

namespace spdlog {
class logger;
}

namespace surge::detail {

class Application;
class MetricSink;
class RequestObserver;

/// A friend of Server. Same thread-safety as Server's own methods.
struct ServerHooks final {
  /// A server on a prepared application (a frozen Router: freeze() in router/router_app.hpp)
  /// whose answered requests are reported to observers (metrics, access log). A null log logs
  /// to stderr.
  static std::unique_ptr<Server> make(ServerConfig config, std::shared_ptr<const Application> app,
                                      std::shared_ptr<spdlog::logger> log = nullptr,
                                      std::vector<std::shared_ptr<RequestObserver>> observers = {});

  /// The engine's metrics and the current application's (middleware) ones, for an exporter. Any
  /// thread; never blocks a worker.
  static void collect_metrics(const Server& server, MetricSink& sink);

  /// Reload (the daemon's SIGHUP): listens on the addresses of `listen` not yet listened on
  /// before it stops listening on those no longer listed (throws std::system_error, changing
  /// nothing, if one cannot be bound); then new requests use app and observers while requests
  /// in progress finish with the ones they started with. No connection is closed.
  static void reload(Server& server, std::shared_ptr<const Application> app,
                     std::vector<std::shared_ptr<RequestObserver>> observers,
                     const std::vector<std::string>& listen);
};

}  // namespace surge::detail
