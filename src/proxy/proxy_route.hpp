#pragma once
// ProxyRoute: the handler of a route of kind "proxy": forwards each request to its upstream.

#include <memory>

#include <surge/handler.hpp>

#include "http/response_parser.hpp"
#include "proxy/forward_options.hpp"
#include "upstream/cluster.hpp"

namespace surge::detail {

/// What a proxy route forwards to and how; shared by the workers, immutable.
struct ProxyRoute {
  std::shared_ptr<const ClusterHandle> upstream;
  ForwardOptions forward;
  ResponseLimits limits;  // the upstream's response header
};

/// The route's handler: suspends the request and starts a ProxyCall on its worker's pool for the
/// upstream. The route must take its body as it arrives (RouteOptions::stream_body).
Handler make_proxy_handler(std::shared_ptr<const ProxyRoute> route);

}  // namespace surge::detail
