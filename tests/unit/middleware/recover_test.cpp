#include "middleware/recover.hpp"

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <surge/context.hpp>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

#include "middleware/request_id.hpp"
#include "support/captured_log.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::CapturedLog;
using test::FakeExchange;
using test::request;

constexpr std::string_view kBody = "internal server error\n";

void throw_runtime_error(Context&) {
  throw std::runtime_error("database unreachable");
}

TEST(Recover, AStdExceptionBecomesA500WithAShortTextBody) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("GET", "/users/7?x=1"));
  fx.run({&recover}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.body(), kBody);
  EXPECT_EQ(fx.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(recover.counters().panics, 1u);
  const std::string line = log.text();
  EXPECT_EQ(line.rfind("error ", 0), 0u) << line;
  EXPECT_NE(line.find("database unreachable"), std::string::npos) << line;
  EXPECT_NE(line.find("method=GET"), std::string::npos) << line;
  EXPECT_NE(line.find("path=/users/7"), std::string::npos) << line;
  EXPECT_EQ(line.find("x=1"), std::string::npos) << "the query may hold secrets: " << line;
}

TEST(Recover, ANonStandardExceptionIsCaughtToo) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("POST", "/jobs", "", "{}"));
  fx.run({&recover}, [](Context&) { throw 42; });
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.body(), kBody);
  EXPECT_NE(log.text().find("non-standard exception"), std::string::npos);
  EXPECT_EQ(recover.counters().panics, 1u);
}

TEST(Recover, DiscardsWhatTheHandlerHadWrittenBeforeThrowing) {
  Recover recover(nullptr, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover}, [](Context& ctx) {
    ctx.response().set_status(201);
    ctx.response().set_content_type("application/json");
    ctx.response().add_header("X-Partial", "yes");
    ctx.response().set_body("{\"half\":");
    throw std::logic_error("changed my mind");
  });
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.body(), kBody);
  EXPECT_EQ(fx.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(fx.header_count("X-Partial"), 0u);
}

TEST(Recover, ClosesAFileBodyTheHandlerHadSet) {
  Recover recover(nullptr, {});
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  FakeExchange fx(request("GET", "/download"));
  fx.run({&recover}, [fd](Context& ctx) {
    ctx.response().set_file_body(fd, 0, 100);
    throw std::runtime_error("checksum mismatch");
  });
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.body(), kBody);
  EXPECT_FALSE(fx.exchange().response().has_file_body());
  errno = 0;
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(Recover, CatchesWhatALaterMiddlewareThrows) {
  class Throws final : public Middleware {
   public:
    void handle(Context&, Next&) override { throw std::runtime_error("middleware bug"); }
  } throws;
  bool handler_ran = false;
  Recover recover(nullptr, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover, &throws}, [&](Context&) { handler_ran = true; });
  EXPECT_FALSE(handler_ran);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(recover.counters().panics, 1u);
}

TEST(Recover, WithoutAnExceptionTheResponseIsUntouched) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover}, [](Context& ctx) { ctx.text(404, "no such user\n"); });
  EXPECT_EQ(fx.status(), 404);
  EXPECT_EQ(fx.body(), "no such user\n");
  EXPECT_EQ(recover.counters().panics, 0u);
  EXPECT_EQ(log.text(), "");
}

TEST(Recover, TheLogLineCarriesRequestIdAndRoute) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("DELETE", "/users/7"));
  fx.exchange().route().pattern = "/users/:id";
  fx.ctx().set_request_id("req-42");
  fx.run({&recover}, throw_runtime_error);
  const std::string line = log.text();
  EXPECT_NE(line.find("request_id=req-42"), std::string::npos) << line;
  EXPECT_NE(line.find("route=/users/:id"), std::string::npos) << line;
  EXPECT_NE(line.find("method=DELETE"), std::string::npos) << line;
}

TEST(Recover, WithoutRequestIdOrRouteTheLogSaysDash) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover}, throw_runtime_error);
  const std::string line = log.text();
  EXPECT_NE(line.find("request_id=- route=-"), std::string::npos) << line;
}

TEST(Recover, AMultiLineOrHugeMessageIsLoggedOnOneBoundedLine) {
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover}, [](Context&) {
    throw std::runtime_error("first\r\nerror fake second line " + std::string(10'000, 'x'));
  });
  const std::string text = log.text();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line only";
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_LT(text.size(), 400u);
  EXPECT_NE(text.find("x..."), std::string::npos);
}

TEST(Recover, NeverThrowsEvenWhenTheLoggerFails) {
  class FailingSink final : public spdlog::sinks::base_sink<std::mutex> {
   protected:
    void sink_it_(const spdlog::details::log_msg&) override {
      throw std::runtime_error("disk full");
    }
    void flush_() override {}
  };
  auto log = std::make_shared<spdlog::logger>("failing", std::make_shared<FailingSink>());
  log->set_error_handler([](const std::string&) {});
  Recover recover(log, {});
  FakeExchange fx(request("GET", "/"));
  EXPECT_NO_THROW(fx.run({&recover}, throw_runtime_error));
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(recover.counters().panics, 1u);
}

TEST(Recover, ANullLoggerStillAnswers500) {
  Recover recover(nullptr, {});
  FakeExchange fx(request("GET", "/"));
  fx.run({&recover}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.body(), kBody);
}

TEST(Recover, ADeferredResponseIsLeftToItsDeferred) {
  // Simulates a handler that called ctx.defer() and then threw: the 500 is not written (the
  // Deferred answers), but the exception is still logged and counted.
  CapturedLog log;
  Recover recover(log.log, {});
  FakeExchange fx(request("GET", "/slow"));
  fx.run({&recover}, [&](Context& ctx) {
    fx.exchange().async().pending = true;
    ctx.response().add_header("X-Started", "1");
    throw std::runtime_error("after defer");
  });
  EXPECT_EQ(fx.status(), 200);
  EXPECT_EQ(fx.body(), "");
  EXPECT_EQ(fx.header_count("X-Started"), 1u);
  EXPECT_EQ(recover.counters().panics, 1u);
  EXPECT_NE(log.text().find("after defer"), std::string::npos);
}

// The request id header is added by request_id before the handler runs; recover's 500 discards
// the whole response and must put the id back, exactly once, whichever of the two is outermost.
TEST(Recover, TheRequestIdHeaderSurvivesThe500InTheRecommendedOrder) {
  Recover recover(nullptr, {});
  RequestId ids({});
  FakeExchange fx(request("GET", "/", "X-Request-ID: abc-123\r\n"));
  fx.run({&recover, &ids}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.header_count("X-Request-ID"), 1u);
  EXPECT_EQ(fx.header("X-Request-ID"), "abc-123");
}

TEST(Recover, TheRequestIdHeaderSurvivesThe500WhenRequestIdIsOutermost) {
  Recover recover(nullptr, {});
  RequestId ids({});
  FakeExchange fx(request("GET", "/"));
  fx.run({&ids, &recover}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(fx.header_count("X-Request-ID"), 1u);
  EXPECT_EQ(fx.header("X-Request-ID"), std::string(fx.ctx().request_id()));
  EXPECT_EQ(fx.ctx().request_id().size(), 32u);
}

TEST(Recover, TheRequestIdHeaderNameIsConfigurableOrOff) {
  Recover custom(nullptr, {.request_id_header = "X-Correlation-ID"});
  FakeExchange a(request("GET", "/"));
  a.ctx().set_request_id("corr-1");
  a.run({&custom}, throw_runtime_error);
  EXPECT_EQ(a.header("X-Correlation-ID"), "corr-1");
  EXPECT_EQ(a.header_count("X-Request-ID"), 0u);

  Recover off(nullptr, {.request_id_header = ""});
  FakeExchange b(request("GET", "/"));
  b.ctx().set_request_id("corr-2");
  b.run({&off}, throw_runtime_error);
  EXPECT_EQ(b.header_count("X-Request-ID"), 0u);
}

TEST(Recover, CountsPerWorkerAndSumsThem) {
  Recover recover(nullptr, {});
  recover.attach(3);
  for (std::size_t worker : {0u, 1u, 2u, 2u}) {
    FakeExchange fx(request("GET", "/"), {}, worker);
    fx.run({&recover}, throw_runtime_error);
  }
  EXPECT_EQ(recover.counters().panics, 4u);
}

TEST(Recover, WithoutAttachAnyWorkerIndexIsServed) {
  Recover recover(nullptr, {});
  FakeExchange fx(request("GET", "/"), {}, 17);
  fx.run({&recover}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
  EXPECT_EQ(recover.counters().panics, 1u);
}

TEST(Recover, TheFactoryMakesOne) {
  MiddlewarePtr mw = make_recover(nullptr);
  ASSERT_NE(std::dynamic_pointer_cast<Recover>(mw), nullptr);
  FakeExchange fx(request("GET", "/"));
  fx.run({mw.get()}, throw_runtime_error);
  EXPECT_EQ(fx.status(), 500);
}

}  // namespace
}  // namespace surge::detail
