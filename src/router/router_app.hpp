#pragma once
// RouterApp: a frozen Router, the Application every worker calls.

#include <array>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <surge/router.hpp>

#include "encoding/compression_policy.hpp"
#include "http/application.hpp"
#include "middleware/chain.hpp"
#include "router/radix_tree.hpp"
#include "router/route_match.hpp"
#include "router/route_table.hpp"

namespace surge::detail {

/// One frozen route: what an exchange's RouteMatch points at.
struct RouteEntry {
  Chain chain;
  std::string pattern;
  std::uint32_t index;  // position in the router's table: the metrics label of the route
  Method method;
  std::uint64_t max_body_bytes;
  std::chrono::milliseconds timeout;
  bool stream_body;  // the handler runs at header time and takes the body as it arrives
  std::shared_ptr<const CompressionPolicy> compression;  // null: responses go as they are
};

/// Immutable after construction and shared by every worker. on_header() routes the request (the
/// radix tree, then the method), binds the decoded parameters, and applies the route's body
/// limit before any body byte is read; handle() runs the route's chain, or for a request no route
/// takes, the global middleware and then a 404 / 405 / 308 / automatic OPTIONS answer. A
/// Method::kOther request that no kOther route takes is refused from on_header() with
/// kMethodNotImplemented (501), whatever its path.
class RouterApp final : public Application {
 public:
  RouterApp(const RouteTable& table, RouterOptions options);
  explicit RouterApp(const Router& router) : RouterApp(*router.table_, router.options_) {}

  RequestError on_header(Exchange& exchange) const override;
  void handle(Exchange& exchange) const override;
  void attach(std::size_t workers) const override;
  void control_tick(std::chrono::steady_clock::time_point now) const override;
  std::vector<std::string> route_labels() const override;
  void collect_metrics(MetricSink& sink) const override;

 private:
  struct Pattern {
    std::array<std::uint32_t, kMethodCount> routes;  // per Method (kOther too): into routes_, or kNone
    std::string allow;                               // "GET, HEAD, OPTIONS"
  };
  static constexpr std::uint32_t kNone = 0xFFFF'FFFF;

  void answer_unmatched(Context& ctx) const;
  /// in_buffer: the values are views of the request's read buffer (not of a copy of the path).
  bool bind_params(Exchange& exchange, const ParamMatch* params, std::size_t count,
                   bool in_buffer) const;

  RouterOptions options_;
  RadixTree tree_;
  std::vector<Pattern> patterns_;
  std::deque<RouteEntry> routes_;  // stable addresses: an exchange points at its route
  Chain unmatched_;
  std::string allow_all_;  // every method registered anywhere, for OPTIONS *
  MiddlewareList owned_;   // keeps every middleware alive (chains hold raw pointers)
};

/// Freezes router's routes and middleware into the application every worker calls (Server does
/// this; surged does it for each configuration it loads). Throws std::invalid_argument if a route
/// is invalid. A router can be frozen several times, each giving an independent application.
std::shared_ptr<const Application> freeze(const Router& router);

}  // namespace surge::detail
