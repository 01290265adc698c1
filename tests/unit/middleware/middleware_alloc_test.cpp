// Proves that request_id and cors allocate nothing per request once an exchange is warm, with the
// counting operator new of tests/support.

#include <string>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "middleware/cors.hpp"
#include "middleware/request_id.hpp"
#include "support/chain_allocations.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;
using test::request;

// Allocations of `mw` (then a handler that does nothing) per 1000 requests on a warm exchange.
std::uint64_t allocations(Middleware& mw, FakeExchange& fx) {
  return test::chain_allocations(mw, fx, [](Context&) {});
}

TEST(RequestIdAlloc, GeneratingAnIdAndStartingATraceAllocatesNothing) {
  RequestId ids({});
  FakeExchange fx(request("GET", "/"));
  EXPECT_EQ(allocations(ids, fx), 0u);
  EXPECT_EQ(fx.header("traceparent")->size(), 55u);
}

TEST(RequestIdAlloc, AcceptingAnIdAndContinuingATraceAllocatesNothing) {
  RequestId ids({});
  FakeExchange fx(request("GET", "/",
                          "X-Request-ID: " + std::string(100, 'r') +
                              "\r\ntraceparent: "
                              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"));
  EXPECT_EQ(allocations(ids, fx), 0u);
  EXPECT_EQ(fx.ctx().request_id(), std::string(100, 'r'));
}

TEST(CorsAlloc, AnsweringPreflightsAllocatesNothing) {
  CorsConfig config;
  config.allowed_origins = {"https://a.example", "https://app.example"};
  Cors cors(config);
  FakeExchange allowed(request("OPTIONS", "/",
                               "Origin: https://app.example\r\nAccess-Control-Request-Method: "
                               "PUT\r\nAccess-Control-Request-Headers: content-type\r\n"));
  EXPECT_EQ(allocations(cors, allowed), 0u);
  EXPECT_EQ(allowed.status(), 204);
  FakeExchange refused(request("OPTIONS", "/",
                               "Origin: https://evil.example\r\nAccess-Control-Request-Method: "
                               "PUT\r\n"));
  EXPECT_EQ(allocations(cors, refused), 0u);
  EXPECT_EQ(refused.status(), 403);
}

TEST(CorsAlloc, ActualRequestsAllocateNothing) {
  CorsConfig config;
  config.allowed_origins = {"https://app.example"};
  config.exposed_headers = {"X-Request-ID"};
  config.allow_credentials = true;
  Cors cors(config);
  FakeExchange fx(request("GET", "/", "Origin: https://app.example\r\n"));
  EXPECT_EQ(allocations(cors, fx), 0u);
  EXPECT_EQ(fx.header("Access-Control-Allow-Origin"), "https://app.example");
}

}  // namespace
}  // namespace surge::detail
