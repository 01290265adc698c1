#pragma once
// Allocations per request of a middleware on a warm exchange, with the counting operator new of
// tests/support/allocation_counter (the test binary must link it).

#include <cstdint>

#include <surge/context.hpp>
#include <surge/handler.hpp>
#include <surge/middleware.hpp>

#include "middleware/chain.hpp"
#include "support/allocation_counter.hpp"
#include "support/fake_exchange.hpp"

namespace surge::test {

/// Runs `mw`, then `handler`, `runs` times on one prebuilt exchange, resetting between runs what
/// the engine resets between requests on a pooled exchange (the response and the arena) and
/// running the completion callbacks as the engine runs them; returns the allocations of the
/// measured runs. The chain is built and the exchange's buffers warmed up before counting: a
/// pooled exchange is warm in steady state.
inline std::uint64_t chain_allocations(Middleware& mw, FakeExchange& fx, const Handler& handler,
                                       int runs = 1000) {
  const detail::Chain chain({&mw}, handler);
  auto run_once = [&] {
    fx.ctx().response().clear();
    fx.exchange().arena().reset();
    chain.run(fx.ctx());
    fx.exchange().run_completion_calls();
  };
  for (int i = 0; i < 3; ++i)
    run_once();
  const std::uint64_t before = allocation_count();
  for (int i = 0; i < runs; ++i)
    run_once();
  return allocation_count() - before;
}

}  // namespace surge::test
