#include "middleware/chain.hpp"

#include <functional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "support/fake_exchange.hpp"

namespace surge {
namespace {

using test::FakeExchange;
using test::request;

// Appends its name to a shared trace before and after calling next() (or answers instead).
class Step final : public Middleware {
 public:
  Step(std::string name, std::string& trace, bool call_next = true)
      : name_(std::move(name)), trace_(trace), call_next_(call_next) {}

  void handle(Context& ctx, Next& next) override {
    trace_ += name_ + "> ";
    if (!call_next_) {
      ctx.text(403, name_ + " said no\n");
      return;
    }
    next();
    trace_ += "<" + name_ + " ";
  }

 private:
  std::string name_;
  std::string& trace_;
  bool call_next_;
};

TEST(Chain, RunsMiddlewareInOrderAroundTheHandler) {
  std::string trace;
  Step a("a", trace), b("b", trace), c("c", trace);
  FakeExchange fx(request("GET", "/"));
  fx.run({&a, &b, &c}, [&](Context& ctx) {
    trace += "handler ";
    ctx.text(200, "ok");
  });
  EXPECT_EQ(trace, "a> b> c> handler <c <b <a ");
  EXPECT_EQ(fx.status(), 200);
  EXPECT_EQ(fx.body(), "ok");
}

TEST(Chain, AMiddlewareThatDoesNotCallNextStopsTheChain) {
  std::string trace;
  Step a("a", trace), gate("gate", trace, false), c("c", trace);
  bool handler_ran = false;
  FakeExchange fx(request("GET", "/"));
  fx.run({&a, &gate, &c}, [&](Context&) { handler_ran = true; });
  EXPECT_EQ(trace, "a> gate> <a ");
  EXPECT_FALSE(handler_ran);
  EXPECT_EQ(fx.status(), 403);
  EXPECT_EQ(fx.body(), "gate said no\n");
}

TEST(Chain, CodeAfterNextSeesTheHandlersResponse) {
  class StatusStamp final : public Middleware {
   public:
    void handle(Context& ctx, Next& next) override {
      next();
      ctx.response().add_header("X-Seen-Status", std::to_string(ctx.response().status()));
    }
  } stamp;
  FakeExchange fx(request("GET", "/"));
  fx.run({&stamp}, [](Context& ctx) { ctx.text(418, "teapot"); });
  EXPECT_EQ(fx.header("X-Seen-Status"), "418");
}

TEST(Chain, WithoutMiddlewareTheHandlerRunsAlone) {
  FakeExchange fx(request("GET", "/"));
  fx.run({}, [](Context& ctx) { ctx.text(201, "made"); });
  EXPECT_EQ(fx.status(), 201);
}

TEST(Chain, NextObjectsNestWhenAMiddlewareRunsAChainOfItsOwn) {
  // A group-like middleware runs its own chain whose handler continues the outer chain: the
  // outer Next is called while the inner chain's Next objects are still on the stack, and each
  // continues at its own position.
  std::string trace;
  Step x("x", trace), y("y", trace), after("after", trace);
  class Group final : public Middleware {
   public:
    Group(Middleware& x, Middleware& y, std::string& trace) : x_(x), y_(y), trace_(trace) {}
    void handle(Context& ctx, Next& next) override {
      trace_ += "group> ";
      detail::Chain inner({&x_, &y_}, [&next](Context&) { next(); });
      inner.run(ctx);
      trace_ += "<group ";
    }

   private:
    Middleware& x_;
    Middleware& y_;
    std::string& trace_;
  } group(x, y, trace);
  int handler_runs = 0;
  FakeExchange fx(request("GET", "/"));
  fx.run({&group, &after}, [&](Context& ctx) {
    ++handler_runs;
    trace += "handler ";
    ctx.text(200, "ok");
  });
  EXPECT_EQ(trace, "group> x> y> after> handler <after <y <x <group ");
  EXPECT_EQ(handler_runs, 1);
  EXPECT_EQ(fx.body(), "ok");
}

TEST(Chain, CallingNextTwiceRunsTheRestTwice) {
  // Not a pattern to follow (the handler answers twice), but the contract is plain: next() runs
  // the rest of the chain each time it is called.
  class Twice final : public Middleware {
   public:
    void handle(Context&, Next& next) override {
      next();
      next();
    }
  } twice;
  std::string trace;
  Step inner("inner", trace);
  FakeExchange fx(request("GET", "/"));
  fx.run({&twice, &inner}, [&](Context&) { trace += "handler "; });
  EXPECT_EQ(trace, "inner> handler <inner inner> handler <inner ");
}

TEST(Chain, AnExceptionUnwindsThroughMiddlewareWithoutRunningCodeAfterNext) {
  std::string trace;
  Step a("a", trace);
  FakeExchange fx(request("GET", "/"));
  EXPECT_THROW(fx.run({&a}, [](Context&) { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(trace, "a> ");
}

TEST(Chain, ReportsItsSize) {
  std::string trace;
  Step a("a", trace), b("b", trace);
  detail::Chain chain({&a, &b}, [](Context&) {});
  EXPECT_EQ(chain.size(), 2u);
}

}  // namespace
}  // namespace surge
