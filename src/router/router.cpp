#include <surge/router.hpp>

#include <stdexcept>

#include "router/route_table.hpp"
#include "router/router_app.hpp"

namespace surge {
namespace {

// "/api" + "/users" -> "/api/users"; "/api/" + "/users" -> "/api/users"; "/api" + "" -> "/api".
// Patterns start with '/' (as in Gin): "users" is a mistake, not a relative path.
std::string join_path(std::string_view prefix, std::string_view pattern) {
  if (!pattern.empty() && pattern.front() != '/') {
    throw std::invalid_argument("route \"" + std::string(pattern) + "\": a pattern must begin with '/'");
  }
  std::string out(prefix);
  if (!out.empty() && out.back() == '/' && !pattern.empty()) out.pop_back();
  out += pattern;
  if (out.empty()) out = "/";
  return out;
}

}  // namespace

RouteGroup::RouteGroup(std::shared_ptr<detail::RouteTable> table, std::string prefix,
                       MiddlewareList middleware)
    : table_(std::move(table)), prefix_(std::move(prefix)), middleware_(std::move(middleware)) {}

RouteGroup& RouteGroup::use(MiddlewarePtr middleware) {
  if (!middleware) throw std::invalid_argument("use(): null middleware");
  // The root group (the only one with an empty prefix: group() always gives "/...") holds the
  // global middleware: they apply to every route whenever it was registered, and to requests no
  // route matches.
  if (prefix_.empty()) {
    table_->global.push_back(std::move(middleware));
  } else {
    middleware_.push_back(std::move(middleware));
  }
  return *this;
}

RouteGroup RouteGroup::group(std::string_view prefix) const { return group(prefix, {}); }

RouteGroup RouteGroup::group(std::string_view prefix, MiddlewareList middleware) const {
  MiddlewareList combined = middleware_;
  for (auto& m : middleware) {
    if (!m) throw std::invalid_argument("group(): null middleware");
    combined.push_back(std::move(m));
  }
  return RouteGroup(table_, join_path(prefix_, prefix), std::move(combined));
}

void RouteGroup::handle(Method method, std::string_view pattern, Handler handler,
                        RouteOptions options) {
  if (!handler) throw std::invalid_argument("route " + std::string(pattern) + ": empty handler");
  std::string full = join_path(prefix_, pattern);
  for (const auto& existing : table_->routes) {
    if (existing.method == method && existing.pattern == full) {
      throw std::invalid_argument("route " + std::string(to_string(method)) + " " + full +
                                  " conflicts with " + std::string(to_string(method)) + " " +
                                  existing.pattern + ": registered twice");
    }
  }
  // A new pattern must fit the tree (conflicting parameter names, a misplaced catch-all...).
  bool known = false;
  for (const auto& p : table_->probe_patterns) known = known || p == full;
  if (!known) {
    table_->probe.insert(full, static_cast<std::uint32_t>(table_->probe_patterns.size()));
    table_->probe_patterns.push_back(full);
  }
  for (const auto& m : options.middleware) {
    if (!m) throw std::invalid_argument("route " + full + ": null middleware");
  }
  table_->routes.push_back({method, std::move(full), std::move(handler), std::move(options), middleware_});
}

void RouteGroup::get(std::string_view p, Handler h, RouteOptions o) { handle(Method::kGet, p, std::move(h), std::move(o)); }
void RouteGroup::post(std::string_view p, Handler h, RouteOptions o) { handle(Method::kPost, p, std::move(h), std::move(o)); }
void RouteGroup::put(std::string_view p, Handler h, RouteOptions o) { handle(Method::kPut, p, std::move(h), std::move(o)); }
void RouteGroup::patch(std::string_view p, Handler h, RouteOptions o) { handle(Method::kPatch, p, std::move(h), std::move(o)); }
void RouteGroup::del(std::string_view p, Handler h, RouteOptions o) { handle(Method::kDelete, p, std::move(h), std::move(o)); }
void RouteGroup::options(std::string_view p, Handler h, RouteOptions o) { handle(Method::kOptions, p, std::move(h), std::move(o)); }

Router::Router(RouterOptions options)
    : RouteGroup(std::make_shared<detail::RouteTable>(), "", {}), options_(options) {}

std::shared_ptr<const detail::Application> detail::freeze(const Router& router) {
  return std::make_shared<RouterApp>(router);
}

std::vector<std::pair<Method, std::string>> Router::routes() const {
  std::vector<std::pair<Method, std::string>> out;
  for (const auto& r : table_->routes) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace surge
