#include "daemon/app_builder.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include <surge/builtin_middleware.hpp>
#include <surge/error.hpp>
#include <surge/traffic_protection.hpp>

#include "middleware/breaker_guard.hpp"
#include "server/worker_pool.hpp"
#include "upstream/cluster.hpp"
#include "upstream/health_checker.hpp"
#include "upstream/resolver.hpp"

namespace surge::detail {
namespace {

const CompressionConfig& compression_of(const RouteConfig& route, const DaemonConfig& config) {
  return route.compression ? *route.compression : config.compression;
}

Handler make_handler(const RouteConfig& route, const DaemonConfig& config, const UpstreamHandles& upstreams) {
  const std::vector<std::string> params = pattern_parameters(route.path);
  const CompressionConfig& compression = compression_of(route, config);
  return route.handler.make(HandlerBuildContext{route.path, params, config, &upstreams,
                                                compression.enabled ? &compression : nullptr});
}

// Each upstream once per router (its names resolved here, on the main thread): the proxy routes
// naming it share it, and with it each worker's pool of connections to its hosts.
// The upstream's "breaker": a breaker of that config for each host, one shard per worker.
std::optional<HostBreakerConfig> host_breaker(const DaemonConfig& config, const UpstreamConfig& upstream) {
  if (upstream.breaker.empty()) return std::nullopt;
  const auto named = std::find_if(config.breakers.begin(), config.breakers.end(),
                                  [&](const surge::CircuitBreakerConfig& b) { return b.name == upstream.breaker; });
  if (named == config.breakers.end()) return std::nullopt;  // check_protection_names refused it already
  HostBreakerConfig out;
  out.algorithm = breaker_algorithm_config(*named);
  for (const StatusRange& r : named->failure_statuses) {
    for (int s = r.first; s <= r.last; ++s) out.failure_statuses.set(static_cast<std::size_t>(s));
  }
  out.failure_statuses.set(504, named->timeouts_are_failures);
  out.workers = static_cast<std::uint32_t>(worker_count(config.server));
  out.force_open = named->force == BreakerForce::kOpen;
  out.force_closed = named->force == BreakerForce::kClosed;
  return out;
}

UpstreamHandles build_upstreams(const DaemonConfig& config, const std::string& file, UpstreamServices services) {
  UpstreamHandles built;
  for (const UpstreamConfig& upstream : config.upstreams) {
    try {
      const std::optional<HostBreakerConfig> breaker = host_breaker(config, upstream);
      auto cluster = std::make_shared<Cluster>(upstream, breaker ? &*breaker : nullptr);
      if (services.resolver != nullptr) services.resolver->add(cluster);
      if (services.health_checker != nullptr) services.health_checker->add(cluster);
      built[upstream.name] = std::make_shared<const ClusterHandle>(ClusterHandle{std::move(cluster)});
    } catch (const std::invalid_argument& e) {
      throw ConfigError(file, "/upstreams/" + upstream.name, e.what());
    }
  }
  return built;
}

void add_builtins(Router& router, const BuiltinsConfig& builtins,
                  std::shared_ptr<const Readiness> readiness) {
  if (builtins.healthz) {
    router.get("/healthz", [](Context& ctx) { ctx.text(200, "ok\n"); });
  }
  if (builtins.readyz) {
    router.get("/readyz", [readiness](Context& ctx) {
      if (readiness->ready()) {
        ctx.text(200, "ready\n");
      } else {
        ctx.text(503, "draining\n");
      }
    });
  }
}

// The protection middleware of one configuration, built once each: a limit or breaker named by
// several routes is one instance (one set of buckets, one breaker state), as an nginx
// limit_req zone is shared by the locations naming it.
class Protections {
 public:
  Protections(const DaemonConfig& config, const std::string& file, std::shared_ptr<spdlog::logger> log)
      : file_(file), log_(std::move(log)) {
    ClientAddressConfig client;
    for (std::size_t i = 0; i < config.trusted_proxies.size(); ++i) {
      try {
        client.trusted_proxies.add(config.trusted_proxies[i]);
      } catch (const std::invalid_argument& e) {
        throw ConfigError(file, "/trusted_proxies/" + std::to_string(i), e.what());
      }
    }
    client.use_forwarded = config.use_forwarded_header;
    for (const RateLimitConfig& c : config.rate_limits) {
      RateLimitConfig limit = c;
      limit.client_address = client;
      limits_[c.name] = build("/rate_limits/" + c.name, [&] { return make_rate_limit(limit, log_); });
    }
    for (const surge::CircuitBreakerConfig& c : config.breakers) {
      breakers_[c.name] = build("/breakers/" + c.name, [&] { return make_circuit_breaker(c, log_); });
    }
  }

  // parse_config checked the names; a config built by hand may still name an undefined one.
  const MiddlewarePtr& limit(const std::string& name, const std::string& json_path) const {
    return find(limits_, name, "rate limit", json_path);
  }
  const MiddlewarePtr& breaker(const std::string& name, const std::string& json_path) const {
    return find(breakers_, name, "circuit breaker", json_path);
  }

  // keys_below: json_path is the section whose keys the config's fields are (not a route's
  // max_in_flight, from which the bound is made).
  MiddlewarePtr shedder(LoadShedConfig config, const std::string& json_path, bool keys_below) const {
    return build(json_path, [&] { return make_load_shedder(std::move(config), log_); }, keys_below);
  }

 private:
  const MiddlewarePtr& find(const std::map<std::string, MiddlewarePtr>& built, const std::string& name,
                            const std::string& what, const std::string& json_path) const {
    const auto it = built.find(name);
    if (it == built.end()) throw ConfigError(file_, json_path, "unknown " + what + " \"" + name + "\"");
    return it->second;
  }

  // The factories run the validate() that parse_config ran already: only a config built by hand
  // fails here, reported where its key would be in a file.
  template <class Make>
  MiddlewarePtr build(const std::string& json_path, Make make, bool keys_below = true) const {
    try {
      return make();
    } catch (const InvalidField& e) {
      if (keys_below) throw ConfigError(file_, json_path + "/" + e.field(), e.reason());
      throw ConfigError(file_, json_path, e.what());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(file_, json_path, e.what());
    }
  }

  const std::string& file_;
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::string, MiddlewarePtr> limits_;
  std::map<std::string, MiddlewarePtr> breakers_;
};

void add_middleware(Router& router, const DaemonConfig& config, const Protections& protections,
                    std::shared_ptr<spdlog::logger> log) {
  // The order is the one documented in <surge/builtin_middleware.hpp>: recover outermost, then
  // request ids, then CORS (whose preflights must not count against anything after it), then
  // rate limits (a noisy client is refused before it costs a shed request), then load shedding.
  const MiddlewareConfig& m = config.middleware;
  if (m.recover) router.use(make_recover(std::move(log), m.recover_config));
  if (m.request_id) router.use(make_request_id(m.request_id_config));
  if (m.cors) router.use(make_cors(m.cors_config));
  for (std::size_t i = 0; i < m.rate_limits.size(); ++i) {
    router.use(protections.limit(m.rate_limits[i], "/middleware/rate_limit/" + std::to_string(i)));
  }
  if (config.load_shedding) router.use(protections.shedder(config.load_shedding_config, "/load_shedding", true));
}

// A route's own protection, innermost last: its rate limits, its in-flight bound, its breaker
// (closest to the handler whose dependency it guards).
MiddlewareList route_middleware(const RouteConfig& route, const Protections& protections) {
  MiddlewareList list;
  for (std::size_t i = 0; i < route.rate_limits.size(); ++i) {
    list.push_back(protections.limit(route.rate_limits[i],
                                     route.json_path + "/rate_limit/" + std::to_string(i)));
  }
  if (route.max_in_flight != 0) {
    LoadShedConfig bound;
    bound.name = route.path;
    bound.max_in_flight_per_worker = route.max_in_flight;
    list.push_back(protections.shedder(bound, route.json_path + "/max_in_flight", false));
  }
  if (!route.breaker.empty()) {
    list.push_back(protections.breaker(route.breaker, route.json_path + "/breaker"));
  }
  return list;
}

}  // namespace

Router build_router(const DaemonConfig& config, const std::string& file,
                    std::shared_ptr<const Readiness> readiness,
                    std::shared_ptr<spdlog::logger> log, UpstreamServices services) {
  Router router;
  const Protections protections(config, file, log);
  add_middleware(router, config, protections, std::move(log));
  try {
    add_builtins(router, config.builtins, std::move(readiness));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(file, "/builtins", e.what());
  }
  const UpstreamHandles upstreams = build_upstreams(config, file, services);
  for (const RouteConfig& route : config.routes) {
    // One set for all the route's methods: they share its in-flight bound.
    const MiddlewareList middleware = route_middleware(route, protections);
    try {
      Handler handler = make_handler(route, config, upstreams);
      for (Method method : route.methods) {
        router.handle(method, route.path, handler,
                      RouteOptions{.max_body_bytes = route.max_body_bytes,
                                   .timeout = route.timeout,
                                   .middleware = middleware,
                                   .stream_body = route.handler.streams_body(),
                                   .compression = compression_of(route, config)});
      }
    } catch (const std::invalid_argument& e) {
      throw ConfigError(file, route.json_path, e.what());
    }
  }
  return router;
}

}  // namespace surge::detail
