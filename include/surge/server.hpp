#pragma once
// Server: the thin facade that starts the worker pool on a configuration and a handler.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <surge/config.hpp>
#include <surge/handler.hpp>
#include <surge/router.hpp>

namespace spdlog {
class logger;
}

namespace surge {
namespace detail {
class Application;
class MetricSink;
class RequestObserver;
class WorkerPool;
}  // namespace detail

/// Owns the workers. Typical use: construct, start(), then wait() (or shutdown() from a signal
/// thread). All methods are thread-safe except construction and destruction.
class Server final {
 public:
  /// Routes and middleware from a Router (frozen here: later changes to it do not apply).
  /// Throws std::invalid_argument if a route is invalid.
  Server(ServerConfig config, const Router& router, std::shared_ptr<spdlog::logger> log = nullptr);
  /// One handler answers every request.
  Server(ServerConfig config, Handler handler, std::shared_ptr<spdlog::logger> log = nullptr);
  /// A prepared application (the router builds one) and observers of every answered request
  /// (metrics, access log). For surge's own daemon; embedders use the overloads above.
  Server(ServerConfig config, std::shared_ptr<const detail::Application> app,
         std::shared_ptr<spdlog::logger> log = nullptr,
         std::vector<std::shared_ptr<detail::RequestObserver>> observers = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds every listen address in every worker and starts the worker threads. Throws
  /// std::system_error (address in use, permission denied, bad address) with a message naming
  /// the address.
  void start();
  /// Blocks until every worker has stopped.
  void wait();
  /// Graceful shutdown: draining() turns true and every response from now on says
  /// Connection: close; after shutdown.drain_delay listeners close, idle connections close,
  /// in-flight requests finish, and after shutdown.timeout whatever is left is force-closed.
  /// Idempotent; returns at once.
  void shutdown();
  /// Closes everything now.
  void stop();
  /// True once shutdown() was called (what /readyz reports).
  bool draining() const;
  /// "127.0.0.1:43817", one per listen address, with ephemeral ports resolved. After start().
  std::vector<std::string> local_addresses() const;
  /// The port of the first listen address. After start().
  std::uint16_t port() const;
  const ServerConfig& config() const;
  /// The engine's metrics and the application's (middleware) ones, for an exporter. Any thread;
  /// never blocks a worker.
  void collect_metrics(detail::MetricSink& sink) const;
  /// Reload (the daemon's SIGHUP): listens on the addresses of `listen` not yet listened on
  /// before it stops listening on those no longer listed (throws std::system_error, changing
  /// nothing, if one cannot be bound); then new requests use app and observers while requests
  /// in progress finish with the ones they started with. No connection is closed.
  void reload(std::shared_ptr<const detail::Application> app,
              std::vector<std::shared_ptr<detail::RequestObserver>> observers,
              const std::vector<std::string>& listen);
  /// Worker threads.
  std::size_t workers() const;
  /// Whether every worker's event loop turned within max_age (for a watchdog). Finished workers
  /// count as alive.
  bool workers_alive(std::chrono::milliseconds max_age) const;

 private:
  std::unique_ptr<detail::WorkerPool> pool_;
};

}  // namespace surge
