#pragma once
// ProxyRoute: the handler of a route of kind "proxy": forwards each request to its upstream.

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <surge/handler.hpp>

#include "http/response_parser.hpp"
#include "proxy/forward_options.hpp"
#include "proxy/stale_cache.hpp"
#include "upstream/cluster.hpp"

namespace surge::detail {

class Exchange;
class ClusterPool;

/// A route's degraded answer: served instead of the proxy's own 502, 503 or 504 when no host
/// could answer (none usable, caps full, budget spent, every try failed before a response).
struct ProxyFallback {
  int status = 503;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  bool operator==(const ProxyFallback&) const = default;
};

/// What a proxy route forwards to and how; shared by the workers, immutable.
struct ProxyRoute {
  std::shared_ptr<const ClusterHandle> upstream;
  ForwardOptions forward;
  ResponseLimits limits;  // the upstream's response header
  UpstreamRetry retry;    // the upstream's, with the route's "retry" keys over it
  std::optional<ProxyFallback> fallback;
  StaleIfError stale_if_error;
};

/// The proxy's own answer when the upstream gave none, in this order: the route's last good answer
/// to the same GET within stale_if_error.max_age (with Age), the route's fallback, or `status`
/// with `reason` as a text body (a 503 refused before any host was asked carries Retry-After:
/// `retry_after_s` > 0). The first two are counted.
void answer_without_upstream(Exchange& exchange, const ProxyRoute& route, ClusterPool& pool, int status,
                             std::string_view reason, int retry_after_s = 0);
/// The route's stale answers on this worker.
StaleCache& stale_cache(const ProxyRoute& route, ClusterPool& pool);

/// The route's handler: suspends the request and starts a ProxyCall on its worker's pool for the
/// upstream. The route must take its body as it arrives (RouteOptions::stream_body).
Handler make_proxy_handler(std::shared_ptr<const ProxyRoute> route);

}  // namespace surge::detail
