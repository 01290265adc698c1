#pragma once
// DaemonConfig: what surged reads from its configuration file.

#include <chrono>
#include <optional>
#include <cstdint>
#include <string>
#include <vector>

#include <surge/builtin_middleware.hpp>
#include <surge/compression.hpp>

#include "config/handler_kind.hpp"
#include "metrics/access_log_config.hpp"
#include "metrics/metrics_config.hpp"
#include "upstream/upstream_config.hpp"
#include <surge/config.hpp>
#include <surge/method.hpp>
#include <surge/traffic_protection.hpp>

namespace surge::detail {

/// Error and lifecycle logging (the access log has its own settings).
struct LogConfig {
  /// "trace", "debug", "info", "warn", "error", "critical" or "off". Default "info".
  std::string level = "info";

  bool operator==(const LogConfig&) const = default;
};

/// One entry of "routes".
struct RouteConfig {
  std::vector<Method> methods{Method::kGet};
  std::string path;  // pattern: "/users/:id", "/static/*path"
  HandlerConfig handler;  // one of the handler kinds (config/handler_kind.hpp)
  std::uint64_t max_body_bytes = 0;     // bytes; 0: limits.max_body_bytes
  std::chrono::milliseconds timeout{0}; // asynchronous answer deadline; 0: timeouts.handler_ms
  std::vector<std::string> rate_limits; // names from DaemonConfig::rate_limits, run in this order
  std::string breaker;                  // a name from DaemonConfig::breakers; "" for none
  std::uint32_t max_in_flight = 0;      // requests in progress per worker on this route; 0: no bound
  std::optional<CompressionConfig> compression;  // the route's own "compression"; unset: the section's
  std::string json_path;                // where it was read ("/routes/2"), for later errors

  bool operator==(const RouteConfig&) const = default;
};

/// The endpoints that exist unless disabled.
struct BuiltinsConfig {
  bool healthz = true;  // GET /healthz: 200 while the process serves (liveness)
  bool readyz = true;   // GET /readyz: 200 while ready, 503 once draining (readiness)

  bool operator==(const BuiltinsConfig&) const = default;
};

/// The global middleware, in the order they run (see README "Middleware"). Each section's keys
/// are the fields of its config struct in <surge/builtin_middleware.hpp>.
struct MiddlewareConfig {
  bool recover = true;      // exceptions become 500s (the engine also catches; this adds a log line with the request id)
  RecoverConfig recover_config;
  bool request_id = false;  // X-Request-ID and traceparent on every response; off by default, like nginx and Gin
  RequestIdConfig request_id_config;
  bool cors = false;        // off unless configured
  CorsConfig cors_config;
  // Names from DaemonConfig::rate_limits applied to every request, in this order, after cors.
  std::vector<std::string> rate_limits;

  bool operator==(const MiddlewareConfig&) const = default;
};

/// The routes surged serves when the configuration has no "routes" key: the benchmark set, read
/// once from their JSON (README "What it serves by default") by the built-in handler kinds.
std::vector<RouteConfig> default_routes();

/// The whole file: the engine's ServerConfig at the top level, plus the daemon's own sections.
struct DaemonConfig {
  ServerConfig server;
  LogConfig log;
  std::vector<RouteConfig> routes = default_routes();
  BuiltinsConfig builtins;
  MiddlewareConfig middleware;

  // Traffic protection (README "Traffic protection"). "trusted_proxies": CIDRs, kept as text
  // here and parsed into TrustedProxies where the router is built (app_builder, which reports a
  // bad one with its JSON path; --check-config builds the router too). They and
  // "use_forwarded_header" make the ClientAddressConfig of every client-address limit.
  std::vector<std::string> trusted_proxies;
  bool use_forwarded_header = false;
  // "rate_limits" and "breakers": named, attached by name (middleware.rate_limit, a route's
  // rate_limit and breaker). Names are 1..64 characters of [A-Za-z0-9._-], in name order.
  std::vector<RateLimitConfig> rate_limits;
  std::vector<CircuitBreakerConfig> breakers;
  // "load_shedding": on when the section is present (unless "enabled": false); applies to every
  // request, after the global rate limits.
  bool load_shedding = false;
  LoadShedConfig load_shedding_config;
  MetricsConfig metrics;
  AccessLogConfig access_log;
  // "upstreams": named, proxy routes forward to them (README "Proxy"), in name order.
  std::vector<UpstreamConfig> upstreams;
  // "compression": response compression for every route without its own (off unless present).
  CompressionConfig compression;

  bool operator==(const DaemonConfig&) const = default;
};

/// surge::validate(config) with its InvalidField turned into a ConfigError naming `file` and the
/// key's JSON path ("/limits/max_request_line_bytes"): after the command line's overrides too.
void validate(const ServerConfig& config, const std::string& file);

/// The parameter names a pattern binds, in order ("/a/:x/*y" -> {"x", "y"}).
std::vector<std::string> pattern_parameters(std::string_view pattern);

}  // namespace surge::detail
