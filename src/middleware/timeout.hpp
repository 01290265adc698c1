#pragma once
// Timeout: the deadline for asynchronous answers below it in the chain.

#include <chrono>

#include <surge/middleware.hpp>

namespace surge::detail {

/// Sets the deadline of a deferred answer (Context::defer / offload) for every request that
/// passes through: past it the engine answers 504 with a body naming the setting and drops the
/// late completion. Synchronous handlers are not interrupted (nothing preempts a worker): they
/// must not block. A route's RouteOptions::timeout is applied before the chain runs, so a
/// Timeout middleware (in a group, say) overrides it; among several, the innermost wins.
class Timeout final : public Middleware {
 public:
  explicit Timeout(std::chrono::milliseconds deadline) : deadline_(deadline) {}
  void handle(Context& ctx, Next& next) override;

 private:
  std::chrono::milliseconds deadline_;
};

}  // namespace surge::detail
