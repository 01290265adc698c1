#include "config/route_reader.hpp"

#include "config/compression_reader.hpp"
#include "config/handlers/builtin_kinds.hpp"

namespace surge::detail {
namespace {

constexpr IntRange kRouteBodyBytes{0, kOneGiB};
constexpr IntRange kRouteTimeoutMs{0, kOneDayMs};
constexpr IntRange kRouteInFlight{0, kMaxInFlight};

// "method": a method, a list of them, or "*" for every one: the implemented methods and
// Method::kOther, so the route also takes tokens surge does not implement (PROPFIND, PURGE).
void read_methods(ObjectReader& r, std::vector<Method>& out) {
  const std::optional<JsonValue> value = r.value("method");
  if (!value) return;
  const std::string expected = "expected GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS or TRACE (or a list, or \"*\")";
  out.clear();
  if (value->is_string() && value->string() == "*") {
    for (std::size_t i = 0; i < kMethodCount; ++i) out.push_back(static_cast<Method>(i));
    return;
  }
  for (const JsonValue& name : value->is_array() ? value->elements() : std::vector<JsonValue>{*value}) {
    Method m;
    if (!name.is_string() || !parse_method(name.string(), m)) r.fail("method", expected);
    out.push_back(m);
  }
  if (out.empty()) r.fail("method", "at least one method is required");
}

RouteConfig read_route(ObjectReader& r, const DaemonConfig& config, const HandlerKinds& kinds) {
  RouteConfig route;
  route.json_path = r.path();
  r.string("path", route.path);
  if (route.path.empty() || route.path.front() != '/') r.fail("path", "a pattern beginning with '/' is required");
  read_methods(r, route.methods);
  r.integer("max_body_bytes", route.max_body_bytes, kRouteBodyBytes);
  r.duration_ms("timeout_ms", route.timeout, kRouteTimeoutMs);
  r.strings("rate_limit", route.rate_limits);
  r.string("breaker", route.breaker);
  r.integer("max_in_flight", route.max_in_flight, kRouteInFlight);
  if (r.has("compression")) {
    CompressionConfig own = config.compression;  // what the route does not say, the section does
    r.object("compression", [&](ObjectReader& c) { read_compression(c, own); });
    route.compression = own;
  }
  if (!r.has("handler")) r.fail("handler", "required");
  const std::vector<std::string> params = pattern_parameters(route.path);
  const HandlerReadContext context{route.path, params, config};
  r.object("handler", [&](ObjectReader& h) { route.handler = read_handler(h, context, kinds); });
  return route;
}

// README "What it serves by default", read as a configuration would give them.
constexpr std::string_view kDefaultRoutes = R"({"routes": [
  {"path": "/plaintext", "handler": {"type": "text", "body": "Hello, World!"}},
  {"path": "/json", "handler": {"type": "json", "body": {"message": "Hello, World!"}}},
  {"path": "/users/:id", "handler": {"type": "json", "body": {"id": "{id}", "name": "user-{id}"}}}
]})";

}  // namespace

void read_routes(ObjectReader& root, DaemonConfig& config, const HandlerKinds& kinds) {
  if (root.has("routes")) config.routes.clear();  // absent: the defaults stay
  root.elements("routes", "expected an array of routes",
                [&](ObjectReader& r) { config.routes.push_back(read_route(r, config, kinds)); });
}

std::vector<std::string> pattern_parameters(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if ((pattern[i] == ':' || pattern[i] == '*') && i > 0 && pattern[i - 1] == '/') {
      auto end = pattern.find('/', i);
      names.emplace_back(pattern.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
    }
  }
  return names;
}

std::vector<RouteConfig> default_routes() {
  static const std::vector<RouteConfig> routes = [] {
    // No section to look names up in; routes given, so that this is not a call to itself.
    const DaemonConfig sections{.routes = {}};
    std::vector<RouteConfig> read;
    read_document(kDefaultRoutes, "built-in routes", [&](ObjectReader& root) {
      root.elements("routes", "", [&](ObjectReader& r) {
        read.push_back(read_route(r, sections, builtin_handler_kinds()));
      });
    });
    for (std::size_t i = 0; i < read.size(); ++i) read[i].json_path = "built-in route " + std::to_string(i);
    return read;
  }();
  return routes;
}

}  // namespace surge::detail
