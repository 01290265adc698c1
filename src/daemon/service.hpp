#pragma once
// Service: surged's running parts (server, metrics, access log) and what a reload replaces.

#include <memory>
#include <string>
#include <vector>

#include <surge/server.hpp>

#include "config/daemon_config.hpp"
#include "daemon/cli.hpp"
#include "daemon/daemon_metrics.hpp"
#include "daemon/logging.hpp"
#include "daemon/readiness.hpp"
#include "upstream/health_checker.hpp"
#include "upstream/resolver.hpp"

namespace surge::detail {

class AccessLog;
class Application;
class Exporter;
class PrometheusCollector;
class RequestMetrics;
class RequestObserver;

/// Owns the Server and what stands beside it. A configuration is turned into a Generation (a
/// frozen application plus the observers that go with it); start() serves the first, reload()
/// builds the next one from the file and swaps it in without closing a connection.
class Service final {
 public:
  Service(CliOptions options, std::string source, std::shared_ptr<Readiness> readiness,
          const DaemonLogger& logger);
  ~Service();

  /// Builds from config and starts. Prints one line to stderr and returns false if something
  /// cannot start (a bind, the access log file, the exporter's address).
  bool start(DaemonConfig config);
  /// SIGHUP: re-reads the configuration file. Valid: new routes, middleware, limits, breakers,
  /// log and access log settings apply to new requests, listeners are added before removed ones
  /// close. Invalid: the old configuration stays, the error (with its JSON path) is logged and
  /// counted. Returns whether it was applied.
  bool reload();
  /// SIGUSR1: reopen the access log file (logrotate).
  void reopen_logs();

  Server& server() { return *server_; }
  std::string addresses() const;

 private:
  struct Generation {
    std::shared_ptr<const Application> app;
    std::shared_ptr<RequestMetrics> request_metrics;
    std::shared_ptr<AccessLog> access_log;
    std::vector<std::shared_ptr<RequestObserver>> observers() const;
  };

  /// Throws ConfigError (routes) or std::system_error (the access log file).
  Generation build(const DaemonConfig& config);
  /// Makes the collector read generation's observers (those not already read for `previous`).
  void add_metric_sources(const Generation& generation, const Generation* previous);
  std::uint64_t access_log_dropped_before_ = 0;  // by access logs replaced at reloads

  CliOptions options_;
  std::string source_;
  std::shared_ptr<Readiness> readiness_;
  DaemonLogger logger_;
  DaemonConfig config_;
  std::shared_ptr<PrometheusCollector> collector_;
  std::shared_ptr<DaemonMetrics> daemon_metrics_;
  Generation current_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<Exporter> exporter_;
  Resolver resolver_;  // the upstreams' names, re-resolved off the workers
  HealthChecker health_checker_{logger_.log};  // the upstreams' active health checks
};

/// The configuration the command line names (a file, config/surge.json, or the defaults) with
/// the command-line overrides applied. Throws ConfigError; sets source to what was read.
DaemonConfig resolve_config(const CliOptions& options, std::string& source);

/// Keys whose change needs a restart (engine settings fixed when the workers were built).
std::vector<std::string> restart_required(const DaemonConfig& running, const DaemonConfig& next);

}  // namespace surge::detail
