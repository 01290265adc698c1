#pragma once
// Chain: the middleware of one route and its handler, in the order they run.

#include <vector>

#include <surge/handler.hpp>
#include <surge/middleware.hpp>

namespace surge::detail {

/// Frozen at start-up, shared by every worker. run() calls the first middleware with a Next that
/// continues at the second, and so on; past the last middleware, the handler.
class Chain final {
 public:
  Chain() = default;
  Chain(std::vector<Middleware*> middleware, Handler handler)
      : middleware_(std::move(middleware)), handler_(std::move(handler)) {}

  void run(Context& ctx) const { call(0, ctx); }
  /// Runs the chain from position index (what Next::operator() does).
  void call(std::size_t index, Context& ctx) const;
  std::size_t size() const { return middleware_.size(); }

 private:
  std::vector<Middleware*> middleware_;
  Handler handler_;
};

}  // namespace surge::detail
