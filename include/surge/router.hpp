#pragma once
// Router: routes and middleware, registered with plain calls, frozen into a radix tree.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <surge/compression.hpp>
#include <surge/handler.hpp>
#include <surge/method.hpp>
#include <surge/middleware.hpp>

namespace surge {
namespace detail {
class RouterApp;
struct RouteTable;
}  // namespace detail

/// What to do with "/users/" when only "/users" is registered (or the reverse).
enum class TrailingSlash : std::uint8_t {
  kStrict,    // 404
  kRedirect,  // 308 Permanent Redirect to the other spelling (method and body kept), like Gin's
              // RedirectTrailingSlash
};

struct RouterOptions {
  TrailingSlash trailing_slash = TrailingSlash::kRedirect;
  /// Response compression for every route that does not set its own. Default: off.
  CompressionConfig compression;
};

/// Settings of one route.
struct RouteOptions {
  /// Body limit for this route, bytes; 0 keeps the server's limits.max_body_bytes. Decided from
  /// Content-Length before the body is read (413), like the server-wide limit.
  std::uint64_t max_body_bytes = 0;
  /// Deadline for a handler that answers asynchronously (defer/offload); past it the request is
  /// answered 504 and the late completion is dropped. 0 keeps timeouts.handler_ms.
  std::chrono::milliseconds timeout{0};
  /// Middleware for this route only, run after the global and group middleware.
  MiddlewareList middleware;
  /// The handler runs as soon as the header is complete and takes the body as it arrives with
  /// Context::read_body(), instead of after the whole body is buffered: memory per request stays
  /// bounded by the read buffer, whatever the body's size (uploads, a proxy).
  bool stream_body = false;
  /// Response compression for this route; unset: RouterOptions::compression.
  std::optional<CompressionConfig> compression;
};

/// A prefix and the middleware that apply below it. Groups nest; a group sees the middleware its
/// parent had when the group was created (as in Gin).
class RouteGroup {
 public:
  /// Adds middleware for every route registered below this group from now on.
  RouteGroup& use(MiddlewarePtr middleware);
  /// A sub-group: prefix is appended to this group's prefix.
  RouteGroup group(std::string_view prefix) const;
  RouteGroup group(std::string_view prefix, MiddlewareList middleware) const;

  /// Registers handler for method and pattern ("/users/:id", "/static/*path"; see RadixTree).
  /// Throws std::invalid_argument naming both routes when it conflicts with one already
  /// registered (same method and pattern, or a parameter named differently at the same place),
  /// or naming the pattern when it is malformed.
  void handle(Method method, std::string_view pattern, Handler handler, RouteOptions options = {});
  void get(std::string_view pattern, Handler handler, RouteOptions options = {});
  void post(std::string_view pattern, Handler handler, RouteOptions options = {});
  void put(std::string_view pattern, Handler handler, RouteOptions options = {});
  void patch(std::string_view pattern, Handler handler, RouteOptions options = {});
  void del(std::string_view pattern, Handler handler, RouteOptions options = {});
  void options(std::string_view pattern, Handler handler, RouteOptions options = {});

 protected:
  RouteGroup(std::shared_ptr<detail::RouteTable> table, std::string prefix,
             MiddlewareList middleware);
  std::shared_ptr<detail::RouteTable> table_;
  std::string prefix_;
  MiddlewareList middleware_;
};

/// The root group. Build it on one thread before the server starts; the server freezes it into a
/// radix tree shared read-only by every worker (later changes to the router do not apply).
///
/// Per request: the global middleware run first (also for requests no route matches, so CORS,
/// request ids and the like apply to 404s too), then the group and route middleware, then the
/// handler. No route: 404. The path exists for other methods: 405 with Allow. HEAD is served by
/// the GET route (no body sent); OPTIONS is answered 204 with Allow unless a route handles it;
/// `OPTIONS *` lists every method registered. A method surge does not implement (Method::kOther)
/// is taken only by a route registered for kOther; on any other path, or none, it is 501.
class Router final : public RouteGroup {
 public:
  explicit Router(RouterOptions options = {});

  /// The registered (method, pattern) pairs, in registration order.
  std::vector<std::pair<Method, std::string>> routes() const;

 private:
  friend class detail::RouterApp;  // the frozen router (src/router/router_app.hpp)
  RouterOptions options_;
};

}  // namespace surge
