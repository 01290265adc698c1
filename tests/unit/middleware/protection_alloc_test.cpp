// Proves that rate limiting, the circuit breaker and load shedding allocate nothing per request
// once an exchange is warm (and once a rate limit has seen the key), with the counting operator
// new of tests/support.

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "middleware/breaker_guard.hpp"
#include "middleware/load_shedder.hpp"
#include "middleware/rate_limit.hpp"
#include "support/chain_allocations.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;
using test::FakeExchange;
using test::request;

// Allocations of `mw` (then a handler answering 200 "ok") per 1000 requests on a warm exchange.
std::uint64_t allocations(Middleware& mw, FakeExchange& fx) {
  return test::chain_allocations(mw, fx, [](Context& ctx) { ctx.text(200, "ok"); });
}

TEST(ProtectionAlloc, APerClientLimitBehindAProxyWithFieldsAllocatesNothing) {
  RateLimitConfig c;
  c.rate = 1'000'000;
  c.burst = 1'000'000;
  c.headers = true;
  c.client_address.trusted_proxies = TrustedProxies({"0.0.0.0/0"});
  RateLimit limit(c, nullptr);
  PeerAddress peer;
  peer.bytes[10] = peer.bytes[11] = 0xff;
  peer.is_v4 = true;
  FakeExchange fx(request("GET", "/", "X-Forwarded-For: 198.51.100.7, 10.0.0.2\r\n"), peer);
  EXPECT_EQ(allocations(limit, fx), 0u);
  EXPECT_EQ(fx.status(), 200);
  EXPECT_TRUE(fx.header("RateLimit"));
}

TEST(ProtectionAlloc, ARejectionWithoutALoggerAllocatesNothing) {
  RateLimitConfig c;
  c.rate = 1;
  c.burst = 1;
  c.per = 1h;
  c.key = RateLimitKey::kHeader;
  c.header = "X-API-Key";
  RateLimit limit(c, nullptr);
  FakeExchange fx(request("GET", "/", "X-API-Key: k\r\n"));
  EXPECT_EQ(allocations(limit, fx), 0u);
  EXPECT_EQ(fx.status(), 429);
}

TEST(ProtectionAlloc, AClosedBreakerAllocatesNothing) {
  BreakerGuard guard({}, nullptr);
  FakeExchange fx(request("GET", "/"));
  EXPECT_EQ(allocations(guard, fx), 0u);
  EXPECT_EQ(guard.counters().successes, 1003u);
}

TEST(ProtectionAlloc, LoadSheddingAllocatesNothing) {
  LoadShedConfig c;
  c.adaptive.enabled = true;
  LoadShedder shedder(c, nullptr);
  FakeExchange fx(request("GET", "/"));
  EXPECT_EQ(allocations(shedder, fx), 0u);
  EXPECT_EQ(shedder.counters().admitted, 1003u);
}

}  // namespace
}  // namespace surge::detail
