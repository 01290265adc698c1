#pragma once
// What the traffic-protection middleware tests share: the injected clock they move by hand, a
// captured logger, and one request through a middleware whose answer may come later (deferred).

#include <chrono>
#include <memory>

#include <surge/context.hpp>
#include <surge/middleware.hpp>

#include "http/exchange.hpp"
#include "limit/clock.hpp"
#include "support/captured_log.hpp"
#include "support/fake_exchange.hpp"

namespace surge::test {

/// The clock the configs under test point at (`c.now = &fake_now`): tests set and move g_now.
inline detail::Clock::time_point g_now;
inline detail::Clock::time_point fake_now() {
  return g_now;
}
/// A start far from the clock's epoch, where every test begins.
inline void reset_clock() {
  g_now = detail::Clock::time_point{} + std::chrono::hours(1);
}

/// One request through a middleware. The handler answers `answer` after moving the clock by
/// `takes`, or, with answer 0, defers (as ctx.defer() does on a real worker) until finish().
struct ProtectedCall {
  std::unique_ptr<FakeExchange> fx;
  bool handled = false;

  ProtectedCall(Middleware& mw, int answer, std::size_t worker = 0,
                detail::Clock::duration takes = {})
      : fx(std::make_unique<FakeExchange>(request("GET", "/backend"), PeerAddress{}, worker)) {
    fx->run({&mw}, [&](Context& ctx) {
      handled = true;
      g_now += takes;
      if (answer == 0) {
        detail::exchange_of(ctx).async().pending = true;
        return;
      }
      ctx.text(answer, "answer");
    });
    if (answer != 0 || !handled) fx->exchange().run_completion_calls();
  }
  int status() const { return fx->status(); }
  /// Ends a deferred call with `final_status`, as the engine does when the answer comes.
  void finish(int final_status = 200) {
    fx->exchange().async().pending = false;
    fx->ctx().text(final_status, "late");
    fx->exchange().run_completion_calls();
  }
};

/// A middleware that takes every completion slot of a request (8), so that the middleware after
/// it cannot register for its outcome.
struct CompletionHog final : Middleware {
  void handle(Context& ctx, Next& next) override {
    while (ctx.on_complete(this, 0)) {
    }
    next();
  }
};

/// The names every protection middleware test uses unqualified: `using namespace
/// test::protection_names;` in its own namespace.
namespace protection_names {
using namespace std::chrono_literals;
using test::CapturedLog;
using test::fake_now;
using test::FakeExchange;
using test::g_now;
using test::request;
using Call = test::ProtectedCall;
}  // namespace protection_names

}  // namespace surge::test
