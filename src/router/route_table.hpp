#pragma once
// RouteTable: what Router collects before it is frozen.

#include <string>
#include <vector>

#include <surge/router.hpp>

#include "router/radix_tree.hpp"

namespace surge::detail {

struct RouteSpec {
  Method method;
  std::string pattern;  // with the group prefixes
  Handler handler;
  RouteOptions options;
  MiddlewareList group_middleware;  // captured from the group at registration
};

/// Registration state shared by a Router and its groups. The probe tree exists to reject a
/// conflicting pattern at registration, naming both routes, instead of at freeze time.
struct RouteTable {
  MiddlewareList global;  // Router::use(): every route, and requests no route matches
  std::vector<RouteSpec> routes;
  RadixTree probe;
  std::vector<std::string> probe_patterns;  // probe value -> pattern
};

}  // namespace surge::detail
