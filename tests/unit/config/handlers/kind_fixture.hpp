#pragma once
// What the handler kind tests share: one route read through the kinds, and a request served by
// the handler its kind makes, without sockets.

#include <string>
#include <utility>
#include <vector>

#include "config/daemon_config.hpp"
#include "config/handler_kind.hpp"
#include "support/fake_exchange.hpp"

namespace surge::test {

/// The route {"path": pattern, "handler": handler_json} as parse_config reads it with `kinds`
/// (the built-in ones when empty).
detail::RouteConfig read_route(const std::string& pattern, const std::string& handler_json,
                               const detail::HandlerKinds& kinds = {});

/// The ConfigError's JSON path and message for that route ({"", ""} when it is read).
std::pair<std::string, std::string> route_failure(const std::string& pattern, const std::string& handler_json);

/// Makes the route's handler, as the router builder does, and runs it on `ex` with `params`
/// bound as the router would bind them.
void serve(const detail::RouteConfig& route, FakeExchange& ex,
           const std::vector<std::pair<std::string, std::string>>& params = {});

}  // namespace surge::test
