#pragma once
// RouteMatch: what the router decided for one request, kept in its exchange.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_parser.hpp"

namespace surge::detail {

struct RouteEntry;  // a frozen route (router/router_app.hpp)
class CompressionPolicy;

/// A path parameter bound by the router: the name comes from the frozen route table. A value
/// taken as it is from the request is kept as an offset into the read buffer, which may move
/// (grow, be compacted) before the handler runs, and is resolved against where the bytes are then;
/// a decoded value lives in the arena, which never moves.
struct PathParam {
  std::string_view name;
  std::string_view stable;  // arena or static bytes; unused when the value is in the read buffer
  Span in_buffer;
  bool buffered = false;
};

inline constexpr std::size_t kMaxPathParams = 16;

/// Why no route took a request (the router answers it itself: 404, 405, OPTIONS, 308).
enum class RouteMiss : std::uint8_t { kNone, kNotFound, kMethodNotAllowed, kOptions, kOptionsStar, kRedirect };

/// Set by the router at header time, read by the engine (timeouts, body streaming), the metrics
/// and the handlers (parameters). Plain data; reset for each request.
struct RouteMatch {
  /// A stable small number per route for per-route metrics, or kNoRoute.
  static constexpr std::uint32_t kNoRoute = 0xFFFF'FFFF;

  const RouteEntry* route = nullptr;  // null: a miss
  std::string_view pattern;           // "/users/:id", "" when none matched
  std::uint32_t index = kNoRoute;
  RouteMiss miss = RouteMiss::kNone;
  std::uint32_t miss_pattern = 0;     // the pattern whose Allow list applies to the miss
  /// Deadline for an asynchronous answer; 0: the server's timeouts.handler_ms.
  std::chrono::milliseconds handler_timeout{0};
  /// The route consumes its body as it arrives: its handler runs once the header is complete.
  bool streams_body = false;
  /// How the route compresses its responses; null: it does not.
  const CompressionPolicy* compression = nullptr;
  std::array<PathParam, kMaxPathParams> params{};
  std::size_t param_count = 0;

  void reset() { *this = RouteMatch{}; }
};

}  // namespace surge::detail
