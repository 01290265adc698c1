// Traffic protection over real sockets: rate limits (and who the client is behind a proxy), a
// circuit breaker tripping and recovering, load shedding under a flood of deferred requests;
// built with the public factories, then from a configuration through detail::build_router.
// No timing assertions: tests wait for outcomes (bounded), never for a duration to be exact.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <surge/error.hpp>
#include <surge/traffic_protection.hpp>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// Polls `done` until it holds or `limit` passes (a failed wait fails the test, never hangs it).
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

int status_of(std::uint16_t port, std::string_view request) {
  const auto r = fetch(port, request);
  return r ? r->status : 0;
}

std::string forwarded_for(std::string_view client) {
  return get("/plain", "X-Forwarded-For: " + std::string(client) + "\r\n");
}

void plain(Context& ctx) {
  ctx.text(200, "plain");
}

// Holds deferred requests until released; resumes them from its own thread.
class Holder {
 public:
  ~Holder() {
    release();
    if (thread_.joinable()) thread_.join();
  }
  Handler handler() {
    return [this](Context& ctx) {
      std::lock_guard lock(mutex_);
      held_.push_back(std::make_shared<Deferred>(ctx.defer()));
      entered_.fetch_add(1);
    };
  }
  int entered() const { return entered_.load(); }
  void release() {
    std::vector<std::shared_ptr<Deferred>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    if (held.empty()) return;
    if (thread_.joinable()) thread_.join();
    thread_ = std::thread([held] {
      for (const auto& d : held)
        d->resume([](Context& ctx) { ctx.text(200, "released"); });
    });
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<Deferred>> held_;
  std::atomic<int> entered_{0};
  std::thread thread_;
};

// --- With the public factories ---

TEST(TrafficProtection, ABurstBeyondTheLimitGets429WithTheRateLimitFields) {
  RateLimitConfig limit;
  limit.name = "burst";
  limit.rate = 1;
  limit.per = 1min;
  limit.burst = 3;
  Router router;
  router.use(make_rate_limit(limit));
  router.get("/plain", plain);
  TestServer server(test_config(), router);
  RawClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/plain")));
    auto ok = client.read_response();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << i;
    EXPECT_FALSE(ok->header("RateLimit"));
  }
  ASSERT_TRUE(client.send(get("/plain")));
  auto refused = client.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->body, "rate limit \"burst\" exceeded\n");
  EXPECT_EQ(refused->header("Retry-After"), "60");
  EXPECT_EQ(refused->header("RateLimit-Policy"), "\"burst\";q=1;w=60");
  EXPECT_EQ(refused->header("RateLimit"), "\"burst\";r=0;t=180");
  EXPECT_FALSE(refused->closes());  // a rejection is an ordinary answer: keep-alive goes on
  ASSERT_TRUE(client.send(get("/plain")));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 429);
}

RateLimitConfig one_per_client(std::vector<std::string> trusted) {
  RateLimitConfig limit;
  limit.name = "per_client";
  limit.rate = 1;
  limit.per = 1min;
  limit.burst = 1;
  limit.client_address.trusted_proxies = TrustedProxies(trusted);
  return limit;
}

TEST(TrafficProtection, ATrustedProxyNamesTheClient) {
  Router router;
  router.use(make_rate_limit(one_per_client({"127.0.0.1/32"})));
  router.get("/plain", plain);
  TestServer server(test_config(), router);
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.1")), 200);
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.1")), 429);
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.2")), 200);
  EXPECT_EQ(status_of(server.port(), forwarded_for("203.0.113.5, 198.51.100.3")), 200);
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.3")), 429);
}

TEST(TrafficProtection, AnUntrustedPeerCannotSpoofItsAddress) {
  Router router;
  router.use(make_rate_limit(one_per_client({"10.0.0.0/8"})));
  router.get("/plain", plain);
  TestServer server(test_config(), router);
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.1")), 200);
  // Another claimed client from the same untrusted peer: the peer's bucket is empty.
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.2")), 429);
  EXPECT_EQ(status_of(server.port(), get("/plain")), 429);
}

TEST(TrafficProtection, AFailingRouteTripsItsBreakerAndRecoversAfterOpenMs) {
  CircuitBreakerConfig breaker;
  breaker.name = "backend";
  breaker.min_requests = 3;
  breaker.failure_percent = 50;
  breaker.open = 200ms;
  breaker.half_open_max_calls = 1;
  std::atomic<bool> failing{true};
  std::atomic<int> handled{0};
  Router router;
  router.get(
      "/backend",
      [&](Context& ctx) {
        handled.fetch_add(1);
        if (failing.load()) {
          ctx.text(502, "backend down\n");
        } else {
          ctx.text(200, "backend up\n");
        }
      },
      RouteOptions{.middleware = {make_circuit_breaker(breaker)}});
  TestServer server(test_config(), router);
  // Failures until the control tick (every ~100 ms) opens the breaker.
  std::optional<HttpResponse> open;
  ASSERT_TRUE(eventually([&] {
    open = fetch(server.port(), get("/backend"));
    return open && open->body == "circuit breaker \"backend\" is open\n";
  }));
  EXPECT_EQ(open->status, 503);
  ASSERT_TRUE(open->header("Retry-After"));
  EXPECT_EQ(*open->header("Retry-After"), "1");  // 200 ms, rounded up
  // While open the handler does not run.
  const int before = handled.load();
  auto refused = fetch(server.port(), get("/backend"));
  ASSERT_TRUE(refused);
  if (refused->status == 503 && refused->body.find("circuit breaker") != std::string::npos) {
    EXPECT_EQ(handled.load(), before);
  }
  // The dependency recovers; after open_ms a probe passes and closes the breaker.
  failing = false;
  ASSERT_TRUE(eventually([&] { return status_of(server.port(), get("/backend")) == 200; }));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(status_of(server.port(), get("/backend")), 200);
}

TEST(TrafficProtection, AFloodOfDeferredRequestsIsShedWith503) {
  LoadShedConfig shed;
  shed.max_in_flight_per_worker = 4;
  Holder holder;
  Router router;
  router.use(make_load_shedder(shed));
  router.get("/slow", holder.handler());
  TestServer server(test_config(), router);
  std::vector<std::unique_ptr<RawClient>> waiting;
  for (int i = 0; i < 4; ++i) {
    waiting.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(waiting.back()->send(get("/slow")));
  }
  ASSERT_TRUE(eventually([&] { return holder.entered() == 4; }));
  // The flood: every further request is answered at once, without reaching the handler.
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 16; ++i) {
    flood.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(flood.back()->send(get("/slow")));
  }
  for (auto& client : flood) {
    auto r = client->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->header("Retry-After"), "1");
    EXPECT_EQ(r->body, "server overloaded: \"global\" in-flight limit reached\n");
  }
  EXPECT_EQ(holder.entered(), 4);
  holder.release();
  for (auto& client : waiting) {
    auto r = client->read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "released");
  }
  // The in-flight count went back down: requests pass again.
  RawClient next(server.port());
  ASSERT_TRUE(next.send(get("/slow")));
  ASSERT_TRUE(eventually([&] { return holder.entered() == 5; }));
  holder.release();
  auto r = next.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// --- From a configuration, as surged builds it ---

// A server running the router a configuration document describes (plus `extra` routes).
class ConfiguredServer {
 public:
  explicit ConfiguredServer(const std::string& json,
                            const std::function<void(Router&)>& extra = nullptr)
      : config_(detail::parse_config(json, "test.json")),
        readiness_(std::make_shared<detail::Readiness>()) {
    Router router = detail::build_router(config_, "test.json", readiness_, nullptr);
    if (extra) extra(router);
    server_ = std::make_unique<TestServer>(test_config(), router);
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  detail::DaemonConfig config_;
  std::shared_ptr<detail::Readiness> readiness_;
  std::unique_ptr<TestServer> server_;
};

TEST(TrafficProtectionConfig, APerIpLimitBehindATrustedProxy) {
  ConfiguredServer server(R"({
    "trusted_proxies": ["127.0.0.1/32"],
    "rate_limits": {"per_ip": {"rate": 1, "per": "minute", "burst": 2, "headers": true}},
    "middleware": {"rate_limit": ["per_ip"]},
    "routes": [{"path": "/plain", "handler": {"type": "text", "body": "plain"}}]})");
  auto first = fetch(server.port(), forwarded_for("198.51.100.1"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->header("RateLimit-Policy"), "\"per_ip\";q=1;w=60");
  EXPECT_EQ(first->header("RateLimit"), "\"per_ip\";r=1;t=60");
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.1")), 200);
  auto refused = fetch(server.port(), forwarded_for("198.51.100.1"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->header("Retry-After"), "60");
  EXPECT_EQ(status_of(server.port(), forwarded_for("198.51.100.2")), 200);
  // The built-in endpoints are behind the global limits too.
  EXPECT_EQ(status_of(server.port(), get("/healthz", "X-Forwarded-For: 198.51.100.1\r\n")), 429);
}

TEST(TrafficProtectionConfig, ARouteLimitKeyedByApiKeyWith503ForNginxParity) {
  ConfiguredServer server(R"({
    "rate_limits": {"api": {"rate": 1, "per": "minute", "burst": 1, "key": "header:X-API-Key",
                            "status": 503, "missing_header": "skip"}},
    "routes": [{"path": "/api", "handler": {"type": "text", "body": "api"}, "rate_limit": ["api"]},
               {"path": "/free", "handler": {"type": "text", "body": "free"}}]})");
  EXPECT_EQ(status_of(server.port(), get("/api", "X-API-Key: a\r\n")), 200);
  EXPECT_EQ(status_of(server.port(), get("/api", "X-API-Key: a\r\n")), 503);
  EXPECT_EQ(status_of(server.port(), get("/api", "X-API-Key: b\r\n")), 200);
  EXPECT_EQ(status_of(server.port(), get("/api")), 200);  // no key: skipped
  EXPECT_EQ(status_of(server.port(), get("/api")), 200);
  EXPECT_EQ(status_of(server.port(), get("/free", "X-API-Key: a\r\n")), 200);
}

TEST(TrafficProtectionConfig, RoutesNamingOneBreakerShareIt) {
  ConfiguredServer server(R"({
    "breakers": {"backend": {"min_requests": 3, "failure_percent": 50, "open_ms": 60000}},
    "routes": [
      {"path": "/down", "handler": {"type": "text", "status": 503, "body": "down"}, "breaker": "backend"},
      {"path": "/up", "handler": {"type": "text", "body": "up"}, "breaker": "backend"},
      {"path": "/other", "handler": {"type": "text", "body": "other"}}]})");
  std::optional<HttpResponse> open;
  ASSERT_TRUE(eventually([&] {
    open = fetch(server.port(), get("/down"));
    return open && open->body == "circuit breaker \"backend\" is open\n";
  }));
  EXPECT_EQ(open->status, 503);
  EXPECT_EQ(open->header("Retry-After"), "60");
  auto up = fetch(server.port(), get("/up"));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->body, "circuit breaker \"backend\" is open\n");
  EXPECT_EQ(status_of(server.port(), get("/other")), 200);
}

TEST(TrafficProtectionConfig, AForcedOpenBreakerRefusesAtOnce) {
  ConfiguredServer server(R"({
    "breakers": {"backend": {"force": "open", "open_ms": 3000}},
    "routes": [{"path": "/x", "handler": {"type": "text", "body": "x"}, "breaker": "backend"}]})");
  auto r = fetch(server.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("Retry-After"), "3");
}

TEST(TrafficProtectionConfig, LoadSheddingAppliesToEveryRoute) {
  Holder holder;
  ConfiguredServer server(
      R"({"load_shedding": {"max_in_flight_per_worker": 2, "retry_after_s": 2}})",
      [&](Router& router) { router.get("/slow", holder.handler()); });
  RawClient a(server.port());
  RawClient b(server.port());
  ASSERT_TRUE(a.send(get("/slow")));
  ASSERT_TRUE(b.send(get("/slow")));
  ASSERT_TRUE(eventually([&] { return holder.entered() == 2; }));
  auto shed = fetch(server.port(), get("/plaintext"));
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_EQ(shed->header("Retry-After"), "2");
  holder.release();
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(b.read_response());
  EXPECT_EQ(status_of(server.port(), get("/plaintext")), 200);
}

TEST(TrafficProtectionConfig, ABadTrustedProxyIsAConfigErrorAtItsPath) {
  const detail::DaemonConfig config =
      detail::parse_config(R"({"trusted_proxies": ["10.0.0.0/8", "10.0.0.1/8"]})", "test.json");
  try {
    detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.json_path(), "/trusted_proxies/1");
    EXPECT_NE(std::string(e.what()).find("10.0.0.0/8"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace surge::test
