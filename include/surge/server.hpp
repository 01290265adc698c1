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
class WorkerPool;
struct ServerHooks;
}  // namespace detail

/// Owns the workers. Typical use: construct, start(), then wait() (or shutdown() from a signal
/// thread). All methods are thread-safe except construction and destruction.
class Server final {
 public:
  /// Routes and middleware from a Router (frozen here: later changes to it do not apply).
  /// Throws std::invalid_argument if a route is invalid.
  Server(ServerConfig config, const Router& router, std::shared_ptr<spdlog::logger> log = nullptr);
  /// One handler answers every request whose method surge implements (others: 501; a Router
  /// with a Method::kOther route takes them).
  Server(ServerConfig config, Handler handler, std::shared_ptr<spdlog::logger> log = nullptr);
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
  /// Worker threads.
  std::size_t workers() const;
  /// Whether every worker's event loop turned within max_age (for a watchdog). Finished workers
  /// count as alive.
  bool workers_alive(std::chrono::milliseconds max_age) const;

 private:
  // surged's own way in (src/server/server_hooks.hpp): a server on a prepared application with
  // request observers, its metrics for the exporter, reload.
  friend struct detail::ServerHooks;
  explicit Server(std::unique_ptr<detail::WorkerPool> pool);

  std::unique_ptr<detail::WorkerPool> pool_;
};

}  // namespace surge
