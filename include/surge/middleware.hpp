#pragma once
// Middleware: one small class with one entry point, composed into a chain per route.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace surge {

class Context;
class Middleware;
namespace detail {
class Chain;
}

/// The rest of the chain after the current middleware: the next middleware, or the handler.
/// Calling it runs them (synchronously) and returns; not calling it means the current middleware
/// answered and the chain stops there.
class Next final {
 public:
  void operator()();

 private:
  friend class detail::Chain;
  Next(const detail::Chain& chain, std::size_t index, Context& ctx)
      : chain_(chain), index_(index), ctx_(ctx) {}
  const detail::Chain& chain_;
  std::size_t index_;
  Context& ctx_;
};

/// A middleware either answers and returns (the chain stops), or calls next() and may act before
/// and after it (timing, adding headers). One instance serves every worker at once: handle() must
/// be safe to call concurrently. State that changes per request belongs to one worker — size it
/// in attach() and index it with ctx.worker().
///
/// When the handler answers asynchronously (ctx.defer(), ctx.offload()), next() returns before
/// the response exists: code after next() then sees ctx.deferred() == true.
class Middleware {
 public:
  virtual ~Middleware() = default;
  /// The entry point, per request.
  virtual void handle(Context& ctx, Next& next) = 0;

  // Optional hooks around it.
  /// Called once before serving, with the number of workers (for per-worker state).
  virtual void attach(std::size_t /*workers*/) {}
  /// Called when the response of a request is final, if handle() asked for it with
  /// ctx.on_complete(this, cookie): after a synchronous answer, after a deferred one, after the
  /// 504 of a missed deadline. On the request's worker; the status is ctx.response().status().
  /// Lets a circuit breaker or a load shedder see the outcome of asynchronous work.
  virtual void on_complete(Context& /*ctx*/, std::uint64_t /*cookie*/) {}
  /// Called about every 100 ms on the server's control thread, not a worker: for state shared
  /// by the workers that one thread must fold (a circuit breaker merging its windows).
  virtual void control_tick(std::chrono::steady_clock::time_point /*now*/) {}
};

using MiddlewarePtr = std::shared_ptr<Middleware>;
using MiddlewareList = std::vector<MiddlewarePtr>;

}  // namespace surge
