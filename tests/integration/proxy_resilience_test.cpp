// Gateway resilience against misbehaving upstreams: outlier ejection, panic mode, retries on
// listed statuses, per-host breakers, the upstream's caps, fallback answers, hashing affinity and
// the active health check, each through the real server over sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "metrics/metric_sink.hpp"
#include "server/server_hooks.hpp"
#include "support/raw_client.hpp"
#include "support/scripted_upstream.hpp"
#include "support/test_server.hpp"
#include "upstream/health_checker.hpp"

namespace surge::test {
namespace {

// Every series' value, keyed "name" or "name{host}" for the per-host ones.
class ValueSink final : public detail::MetricSink {
 public:
  void counter(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
               double value) override {
    record(name, labels, value);
  }
  void gauge(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
             double value) override {
    record(name, labels, value);
  }
  void histogram(std::string_view, std::string_view, std::initializer_list<detail::MetricLabel>,
                 std::span<const double>, std::span<const std::uint64_t>, double) override {}
  double value(const std::string& key) const {
    const auto it = values.find(key);
    return it == values.end() ? -1 : it->second;
  }
  std::map<std::string, double> values;

 private:
  void record(std::string_view name, std::initializer_list<detail::MetricLabel> labels, double value) {
    std::string key(name);
    for (const auto& l : labels) {
      if (l.name == "host") key += "{" + std::string(l.value) + "}";
    }
    for (const auto& l : labels) {
      if (l.name == "result") key += "{" + std::string(l.value) + "}";
    }
    values[key] += value;
  }
};

std::string address(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// surged with one proxy route ("/*path", every method) to upstream "app" of `hosts`; `upstream`
// and `route` are extra keys of the upstream and of the route's handler, `top` of the file.
class Gateway {
 public:
  Gateway(const std::vector<std::uint16_t>& hosts, const std::string& upstream, const std::string& route = "",
          const std::string& top = "", detail::HealthChecker* checker = nullptr) {
    std::string servers;
    for (std::uint16_t port : hosts) {
      servers += std::string(servers.empty() ? "" : ", ") + R"({"address": ")" + address(port) + R"("})";
    }
    config_ = detail::parse_config(R"({)" + top + R"("upstreams": {"app": {"servers": [)" + servers + "]" + upstream +
                                       R"(}}, "routes": [{"path": "/*path", "method": "*", "handler": )"
                                       R"({"type": "proxy", "upstream": "app")" +
                                       route + "}}]}",
                                   "test.json");
    server_ = std::make_unique<TestServer>(
        test_config(), detail::build_router(config_, "test.json", std::make_shared<detail::Readiness>(), nullptr,
                                            detail::UpstreamServices{nullptr, checker}));
  }
  std::uint16_t port() const { return server_->port(); }
  ValueSink metrics() {
    ValueSink sink;
    detail::ServerHooks::collect_metrics(server_->server(), sink);
    return sink;
  }

 private:
  detail::DaemonConfig config_;
  std::unique_ptr<TestServer> server_;
};

UpstreamReply status_reply(int status, std::string_view body) {
  UpstreamReply reply;
  reply.bytes = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\n\r\n" + std::string(body);
  return reply;
}

std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

TEST(ProxyResilience, AHostAnswering5xxInARowIsEjectedAndTheOthersTakeTheLoad) {
  ScriptedUpstream bad([](const UpstreamRequest&) { return status_reply(500, "bad"); });
  ScriptedUpstream a([](const UpstreamRequest&) { return ok("a"); });
  ScriptedUpstream b([](const UpstreamRequest&) { return ok("b"); });
  Gateway gateway({bad.port(), a.port(), b.port()},
                  R"(, "balance": {"policy": "round_robin"},
                     "outlier_detection": {"consecutive_5xx": 3, "base_ejection_ms": 600000})");
  RawClient client(gateway.port());
  int errors = 0;
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(client.send(get("/x")));
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    if (r->status == 500) ++errors;
  }
  // Three 5xx in a row, and it is out: the clients saw those three, the host no more requests.
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(bad.requests().size(), 3u);
  EXPECT_EQ(a.requests().size() + b.requests().size(), 57u);
  ValueSink m = gateway.metrics();
  EXPECT_EQ(m.value("surge_upstream_host_ejected{" + address(bad.port()) + "}"), 1);
  EXPECT_EQ(m.value("surge_upstream_host_ejections_total{" + address(bad.port()) + "}"), 1);
  EXPECT_EQ(m.value("surge_upstream_host_healthy{" + address(bad.port()) + "}"), 0);
  EXPECT_EQ(m.value("surge_upstream_host_healthy{" + address(a.port()) + "}"), 1);
  EXPECT_EQ(m.value("surge_upstream_healthy_hosts"), 2);
  EXPECT_EQ(m.value("surge_upstream_hosts"), 3);
}

TEST(ProxyResilience, AHostFailingAShareOfItsRequestsIsEjectedByTheFailurePercentage) {
  // Every other answer a 500: never five in a row, but half of them.
  std::atomic<int> count{0};
  ScriptedUpstream half([&](const UpstreamRequest&) { return count++ % 2 == 0 ? status_reply(500, "bad") : ok("half"); });
  ScriptedUpstream good([](const UpstreamRequest&) { return ok("good"); });
  Gateway gateway({half.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"},
                     "outlier_detection": {"failure_percent": 40, "failure_percent_min_requests": 10,
                                           "interval_ms": 300, "base_ejection_ms": 600000})");
  const std::string ejected = "surge_upstream_host_ejected{" + address(half.port()) + "}";
  RawClient client(gateway.port());
  // Requests back to back: each interval sees far more than the ten it needs, however slow the
  // machine; the judgement comes on the worker's tick after an interval ends.
  bool out = false;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!out && std::chrono::steady_clock::now() < give_up) {
    ASSERT_TRUE(client.send(get("/x")));
    ASSERT_TRUE(client.read_response());
    out = gateway.metrics().value(ejected) == 1;
  }
  ASSERT_TRUE(out);
  EXPECT_EQ(gateway.metrics().value("surge_upstream_host_ejected{" + address(good.port()) + "}"), 0);
  // Out: the next requests all go to the good host.
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client.send(get("/y")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "good");
  }
}

TEST(ProxyResilience, AtMostMaxEjectionPercentOfTheHostsAreOutAndPanicUsesThemAll) {
  ScriptedUpstream one([](const UpstreamRequest&) { return status_reply(503, "one"); });
  ScriptedUpstream two([](const UpstreamRequest&) { return status_reply(503, "two"); });
  // Both fail; only half may be ejected, so one stays in. Then the panic threshold (100 %: any
  // host out) makes the gateway use both anyway rather than pile everything on one.
  Gateway capped({one.port(), two.port()},
                 R"(, "balance": {"policy": "round_robin"}, "retry": {"on": []},
                    "outlier_detection": {"consecutive_5xx": 2, "max_ejection_percent": 50,
                                          "panic_threshold_percent": 0, "base_ejection_ms": 600000})");
  RawClient client(capped.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.send(get("/x")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
  }
  ValueSink m = capped.metrics();
  EXPECT_EQ(m.value("surge_upstream_healthy_hosts"), 1);  // one ejected, the other kept in
  const std::size_t before = one.requests().size() + two.requests().size();
  EXPECT_EQ(before, 20u);
  EXPECT_LE(std::min(one.requests().size(), two.requests().size()), 2u);  // the ejected one got no more

  ScriptedUpstream three([](const UpstreamRequest&) { return status_reply(503, "three"); });
  ScriptedUpstream four([](const UpstreamRequest&) { return status_reply(503, "four"); });
  Gateway panicking({three.port(), four.port()},
                    R"(, "balance": {"policy": "round_robin"}, "retry": {"on": []},
                       "outlier_detection": {"consecutive_5xx": 2, "max_ejection_percent": 50,
                                             "panic_threshold_percent": 100, "base_ejection_ms": 600000})");
  RawClient again(panicking.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(again.send(get("/x")));
    auto r = again.read_response();
    ASSERT_TRUE(r);
  }
  // In panic both hosts keep taking requests although one is ejected.
  EXPECT_EQ(panicking.metrics().value("surge_upstream_healthy_hosts"), 1);
  EXPECT_GE(three.requests().size(), 5u);
  EXPECT_GE(four.requests().size(), 5u);
}

TEST(ProxyResilience, ListedStatusesAreRetriedElsewhereForReplayableRequestsOnly) {
  ScriptedUpstream busy([](const UpstreamRequest&) { return status_reply(503, "busy"); });
  ScriptedUpstream good([](const UpstreamRequest& r) { return ok("good " + r.request_line()); });
  Gateway gateway({busy.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false})",
                  R"(, "retry": {"statuses": [503]})");
  RawClient client(gateway.port());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(client.send(get("/r/" + std::to_string(i))));
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "good GET /r/" + std::to_string(i) + " HTTP/1.1");
  }
  EXPECT_GE(busy.requests().size(), 3u);  // it was asked, and its answer replaced
  // A POST that reached the busy host gets its answer: it is never sent twice.
  int busy_answers = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = fetch(gateway.port(), post("/order", "once"));
    ASSERT_TRUE(r);
    if (r->status == 503) ++busy_answers;
  }
  EXPECT_EQ(busy_answers, 2);
}

TEST(ProxyResilience, NonIdempotentRetriesAreTheOperatorsChoice) {
  ScriptedUpstream busy([](const UpstreamRequest&) { return status_reply(503, "busy"); });
  ScriptedUpstream good([](const UpstreamRequest& r) { return ok("good " + r.body); });
  Gateway gateway({busy.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false},
                     "retry": {"statuses": [503], "non_idempotent": true})");
  for (int i = 0; i < 4; ++i) {
    auto r = fetch(gateway.port(), post("/order", "payload"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "good payload");
  }
}

TEST(ProxyResilience, AHostsOwnBreakerOpensAndTheOtherHostsServe) {
  ScriptedUpstream broken([](const UpstreamRequest&) { return status_reply(502, "broken"); });
  ScriptedUpstream good([](const UpstreamRequest&) { return ok("good"); });
  Gateway gateway({broken.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false},
                     "breaker": "per-host")",
                  "",
                  R"("breakers": {"per-host": {"consecutive_failures": 2, "open_ms": 600000}}, )");
  RawClient client(gateway.port());
  int failures = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(client.send(get("/x")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    if (r->status != 200) ++failures;
  }
  EXPECT_EQ(failures, 2);  // the two that opened it
  EXPECT_EQ(broken.requests().size(), 2u);
  ValueSink m = gateway.metrics();
  EXPECT_EQ(m.value("surge_upstream_host_breaker_state{" + address(broken.port()) + "}"), 1);  // open
  EXPECT_EQ(m.value("surge_upstream_host_breaker_opens_total{" + address(broken.port()) + "}"), 1);
  EXPECT_EQ(m.value("surge_upstream_host_breaker_state{" + address(good.port()) + "}"), 0);
}

TEST(ProxyResilience, WithNoUsableHostTheRouteAnswersItsFallbackOrA503WithRetryAfter) {
  ScriptedUpstream up([](const UpstreamRequest&) { return ok("never"); });
  const std::string top = R"("breakers": {"off": {"force": "open"}}, )";
  Gateway plain({up.port()}, R"(, "breaker": "off")", "", top);
  auto r = fetch(plain.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("Retry-After"), "1");
  EXPECT_NE(r->body.find("no usable upstream host"), std::string::npos);
  EXPECT_EQ(plain.metrics().value("surge_upstream_no_usable_host_total"), 1);

  Gateway degraded({up.port()}, R"(, "breaker": "off")",
                   R"(, "fallback": {"status": 200, "body": "{\"items\":[],\"degraded\":true}",
                                     "headers": {"Cache-Control": "no-store"}})",
                   top);
  auto f = fetch(degraded.port(), get("/x"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 200);
  EXPECT_EQ(f->body, R"({"items":[],"degraded":true})");
  EXPECT_EQ(f->header("Content-Type"), "application/json");
  EXPECT_EQ(f->header("Cache-Control"), "no-store");
  EXPECT_EQ(degraded.metrics().value("surge_upstream_fallbacks_total"), 1);
  EXPECT_EQ(up.requests().size(), 0u);
}

TEST(ProxyResilience, TheFallbackAlsoAnswersWhenEveryTryFails) {
  ScriptedUpstream dying([](const UpstreamRequest&) {
    UpstreamReply reply;
    reply.reset = true;
    return reply;
  });
  Gateway gateway({dying.port()}, "", R"(, "fallback": {"status": 503, "body": "{\"degraded\":true}"})");
  auto r = fetch(gateway.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"degraded":true})");
}

TEST(ProxyResilience, StaleIfErrorAnswersAGetWithItsLastGoodResponseWhenTheUpstreamFails) {
  std::atomic<bool> failing{false};
  ScriptedUpstream up([&](const UpstreamRequest& r) {
    if (failing.load()) {
      UpstreamReply reply;
      reply.reset = true;
      return reply;
    }
    if (r.request_line().starts_with("GET /private")) return ok("secret", "Cache-Control: private, max-age=60\r\n");
    return ok("v1 " + r.request_line(), "X-Version: 1\r\n");
  });
  Gateway gateway({up.port()}, "", R"(, "stale_if_error": {"max_age_ms": 600000})");
  for (const char* target : {"/item?id=1", "/private"}) {
    auto r = fetch(gateway.port(), get(target));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  failing = true;
  auto stale = fetch(gateway.port(), get("/item?id=1"));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, "v1 GET /item?id=1 HTTP/1.1");
  EXPECT_EQ(stale->header("X-Version"), "1");
  EXPECT_TRUE(stale->header("Age").has_value());
  EXPECT_EQ(gateway.metrics().value("surge_upstream_stale_served_total"), 1);
  // Nothing kept for another target, a private answer, or a POST: the error is the answer.
  for (const std::string& request : {get("/item?id=2"), get("/private"), post("/item?id=1", "x")}) {
    auto r = fetch(gateway.port(), request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502) << request;
  }
  EXPECT_EQ(gateway.metrics().value("surge_upstream_stale_served_total"), 1);
}

TEST(ProxyResilience, OverTheUpstreamsCapARequestIs503WithRetryAfterAtOnce) {
  ScriptedUpstream slow([](const UpstreamRequest& r) {
    UpstreamReply reply = ok("slow");
    if (r.request_line().starts_with("GET /first")) reply.delay = std::chrono::milliseconds(1500);
    return reply;
  });
  Gateway gateway({slow.port()}, R"(, "limits": {"max_requests": 1})");
  std::optional<HttpResponse> first;
  std::thread holder([&] { first = fetch(gateway.port(), get("/first")); });
  ASSERT_TRUE(slow.wait_requests(1));
  auto second = fetch(gateway.port(), get("/second"));
  holder.join();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->header("Retry-After"), "1");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(slow.requests().size(), 1u);  // the refused one never reached it
  EXPECT_EQ(gateway.metrics().value("surge_upstream_over_limits_total"), 1);
  // The cap counts requests in flight: the next one goes through.
  auto third = fetch(gateway.port(), get("/third"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
}

TEST(ProxyResilience, APerTryTimeoutMovesASlowTryToAnotherHost) {
  ScriptedUpstream slow([](const UpstreamRequest&) {
    UpstreamReply reply = ok("slow");
    reply.delay = std::chrono::milliseconds(3000);
    return reply;
  });
  ScriptedUpstream good([](const UpstreamRequest&) { return ok("good"); });
  // The read timeout (60 s) would wait; the per-try timeout gives up on the slow host's try.
  Gateway gateway({slow.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false},
                     "retry": {"per_try_timeout_ms": 200})");
  for (int i = 0; i < 2; ++i) {
    auto r = fetch(gateway.port(), get("/x"), std::chrono::seconds(10));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "good") << i;
  }
  EXPECT_GE(slow.requests().size(), 1u);  // round robin sent at least one there first; it moved on
}

TEST(ProxyResilience, ARetryAfterABackoffReachesTheNextHost) {
  ScriptedUpstream dying([](const UpstreamRequest&) {
    UpstreamReply reply;
    reply.reset = true;
    return reply;
  });
  ScriptedUpstream good([](const UpstreamRequest& r) { return ok("good " + r.request_line()); });
  Gateway gateway({dying.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false},
                     "retry": {"backoff_base_ms": 20, "backoff_max_ms": 100})");
  for (int i = 0; i < 4; ++i) {
    auto r = fetch(gateway.port(), get("/b/" + std::to_string(i)), std::chrono::seconds(10));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "good GET /b/" + std::to_string(i) + " HTTP/1.1") << i;
  }
  EXPECT_GE(dying.requests().size(), 2u);
}

TEST(ProxyResilience, AClientThatLeavesDuringABackoffCostsNothing) {
  ScriptedUpstream dying([](const UpstreamRequest&) {
    UpstreamReply reply;
    reply.reset = true;
    return reply;
  });
  ScriptedUpstream good([](const UpstreamRequest&) { return ok("good"); });
  // Waits of 125 ms to 1 s: each client is gone before its retry would go.
  Gateway gateway({dying.port(), good.port()},
                  R"(, "balance": {"policy": "round_robin"}, "outlier_detection": {"enabled": false},
                     "retry": {"backoff_base_ms": 1000, "backoff_max_ms": 1000})");
  for (std::size_t reached = 0; reached < 3;) {
    RawClient leaving(gateway.port());
    ASSERT_TRUE(leaving.send(get("/gone")));
    if (dying.wait_requests(reached + 1, std::chrono::milliseconds(300))) {
      ++reached;  // failed there, now waiting to retry: the client leaves
    } else {
      ASSERT_TRUE(leaving.read_response());  // round robin sent it to the good host directly
    }
  }
  const std::size_t answered = good.requests().size();
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // every wait has ended by now
  EXPECT_EQ(good.requests().size(), answered);  // no abandoned request went on
  auto r = fetch(gateway.port(), get("/after"), std::chrono::seconds(10));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ProxyResilience, RingHashKeepsEachUserOnOneHostAndSpreadsTheUsers) {
  std::vector<std::unique_ptr<ScriptedUpstream>> hosts;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < 3; ++i) {
    hosts.push_back(std::make_unique<ScriptedUpstream>([i](const UpstreamRequest&) { return ok(std::to_string(i)); }));
    ports.push_back(hosts.back()->port());
  }
  Gateway gateway(ports, R"(, "balance": {"policy": "ring_hash", "hash_on": "header:X-User"})");
  std::map<std::string, std::string> home;
  std::set<std::string> used;
  RawClient client(gateway.port());
  for (int round = 0; round < 3; ++round) {
    for (int u = 0; u < 30; ++u) {
      const std::string user = "user-" + std::to_string(u);
      ASSERT_TRUE(client.send("GET /x HTTP/1.1\r\nHost: t\r\nX-User: " + user + "\r\n\r\n"));
      auto r = client.read_response();
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200);
      if (round == 0) home[user] = r->body;
      EXPECT_EQ(r->body, home[user]) << user << " moved";
      used.insert(r->body);
    }
  }
  EXPECT_EQ(used.size(), 3u);  // 30 users spread over every host
}

TEST(ProxyResilience, TheActiveCheckTakesAFailingHostOutAndBringsItBack) {
  std::atomic<int> health{500};
  ScriptedUpstream flaky([&](const UpstreamRequest& r) {
    if (r.request_line().starts_with("GET /healthz")) return status_reply(health.load(), "h");
    return ok("flaky");
  });
  ScriptedUpstream steady([](const UpstreamRequest&) { return ok("steady"); });
  detail::HealthChecker checker(nullptr);
  Gateway gateway({flaky.port(), steady.port()},
                  R"(, "balance": {"policy": "round_robin"},
                     "health_check": {"interval_ms": 20, "jitter_ms": 5, "timeout_ms": 1000,
                                      "unhealthy_threshold": 2, "healthy_threshold": 2})",
                  "", "", &checker);
  const std::string down_key = "surge_upstream_host_check_down{" + address(flaky.port()) + "}";
  // A worker reports an upstream's hosts once it has proxied to it.
  ASSERT_TRUE(fetch(gateway.port(), get("/first")));
  auto wait_for = [&](double value) {
    for (int i = 0; i < 500; ++i) {
      if (gateway.metrics().value(down_key) == value) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  ASSERT_TRUE(wait_for(1));
  RawClient client(gateway.port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.send(get("/x")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "steady");
  }
  health = 200;
  ASSERT_TRUE(wait_for(0));
  std::set<std::string> bodies;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.send(get("/x")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    bodies.insert(r->body);
  }
  EXPECT_EQ(bodies, (std::set<std::string>{"flaky", "steady"}));
  EXPECT_GE(gateway.metrics().value("surge_upstream_host_health_checks_total{" + address(flaky.port()) + "}{failed}"), 2);
}

}  // namespace
}  // namespace surge::test
