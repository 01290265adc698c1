#pragma once
// Echo: the "echo" route kind, for debugging what reaches surged through a load balancer.

#include <surge/context.hpp>

namespace surge::detail {

/// Answers 200 with the request as JSON: method, target, path, query, version, peer (the TCP
/// peer's address), headers (as [name, value] pairs, in order) and body (as a string; invalid
/// UTF-8 is replaced). Allocates per request: it is a debugging tool, not a benchmark route.
void echo_request(Context& ctx);

}  // namespace surge::detail
