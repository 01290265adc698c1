// nginx's `proxy_next_upstream error timeout` as the default: a request that fails at one host
// before any response byte goes to the next host when it may (nothing sent, or replayable).
#include <gtest/gtest.h>


#include <memory>
#include <string>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "metrics/metric_sink.hpp"
#include "server/server_hooks.hpp"
#include "support/raw_client.hpp"
#include "support/refusing_port.hpp"
#include "support/scripted_upstream.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// The value of one failover counter.
class FailoverSink final : public detail::MetricSink {
 public:
  explicit FailoverSink(std::string host) : host_(std::move(host)) {}
  void counter(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
               double value) override {
    if (name != "surge_upstream_host_failovers_total") return;
    for (const auto& l : labels) {
      if (l.name == "host" && l.value == host_) failovers = value;
    }
  }
  void gauge(std::string_view, std::string_view, std::initializer_list<detail::MetricLabel>, double) override {}
  void histogram(std::string_view, std::string_view, std::initializer_list<detail::MetricLabel>,
                 std::span<const double>, std::span<const std::uint64_t>, double) override {}
  double failovers = -1;

 private:
  std::string host_;
};

// surged with one proxy route to an upstream of two hosts, balanced round robin (every other
// request to each host; which one first is the worker's own place in the cycle).
class TwoHostProxy {
 public:
  TwoHostProxy(std::uint16_t first, std::uint16_t second, const std::string& handler_extra = "")
      : config_(detail::parse_config(
            R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" + std::to_string(first) +
                R"("}, {"address": "127.0.0.1:)" + std::to_string(second) + R"("}],
                          "balance": {"policy": "round_robin"}}},
                "routes": [{"path": "/*path", "method": "*", "handler": {"type": "proxy", "upstream": "app")" +
                handler_extra + R"(}}]})",
            "test.json")),
        server_(test_config(), detail::build_router(config_, "test.json", std::make_shared<detail::Readiness>(), nullptr)) {}
  std::uint16_t port() const { return server_.port(); }
  double failovers(std::uint16_t host_port) {
    FailoverSink sink("127.0.0.1:" + std::to_string(host_port));
    detail::ServerHooks::collect_metrics(server_.server(), sink);
    return sink.failovers;
  }

 private:
  detail::DaemonConfig config_;
  TestServer server_;
};

std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

TEST(ProxyFailover, AHostThatRefusesConnectionsCostsClientsNothing) {
  RefusingPort down;
  ScriptedUpstream up([](const UpstreamRequest& r) { return ok(r.request_line() + " " + r.body); });
  TwoHostProxy proxy(down.port(), up.port());
  RawClient client(proxy.port());
  // Every other pick is the refusing host: each of those goes on to the other one. A POST too:
  // nothing of it reached the refusing host.
  for (int i = 0; i < 6; ++i) {
    const std::string target = "/r/" + std::to_string(i);
    ASSERT_TRUE(client.send(i % 3 == 2 ? post(target, "payload") : get(target)));
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, (i % 3 == 2 ? "POST " : "GET ") + target + " HTTP/1.1" + (i % 3 == 2 ? " payload" : " "));
  }
  EXPECT_GE(proxy.failovers(down.port()), 3);
}

TEST(ProxyFailover, AResetBeforeTheAnswerMovesAReplayableRequestButNeverAPost) {
  ScriptedUpstream dying([](const UpstreamRequest&) {
    UpstreamReply reply;
    reply.reset = true;  // reads the request, answers nothing, resets
    return reply;
  });
  ScriptedUpstream good([](const UpstreamRequest& r) { return ok(r.request_line()); });
  TwoHostProxy proxy(dying.port(), good.port());

  // A POST that reaches the dying host is not sent again anywhere: the one answered 502 never
  // reached the good host.
  int refused = 0;
  for (int i = 0; i < 4 && refused == 0; ++i) {
    const std::size_t good_before = good.requests().size();
    auto r = fetch(proxy.port(), post("/order", "once"));
    ASSERT_TRUE(r);
    if (r->status == 502) {
      ++refused;
      EXPECT_EQ(good.requests().size(), good_before);
    } else {
      EXPECT_EQ(r->status, 200);
    }
  }
  EXPECT_EQ(refused, 1);
  ASSERT_TRUE(dying.wait_requests(1));

  // GETs: whichever host is picked, the answer comes from the good one.
  for (int i = 0; i < 4; ++i) {
    auto r = fetch(proxy.port(), get("/item/" + std::to_string(i)));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->body, "GET /item/" + std::to_string(i) + " HTTP/1.1");
  }
  EXPECT_GE(dying.requests().size(), 2u);  // it did receive GETs, which went on
  EXPECT_GE(proxy.failovers(dying.port()), 2);
}

TEST(ProxyFailover, TheHeadIsWrittenAnewForTheNextHost) {
  ScriptedUpstream dying([](const UpstreamRequest&) {
    UpstreamReply reply;
    reply.reset = true;
    return reply;
  });
  ScriptedUpstream good([](const UpstreamRequest& r) { return ok(r.header("Host") + "|" + r.body); });
  TwoHostProxy proxy(dying.port(), good.port(), R"(, "host": "upstream")");
  // A PUT is replayable: its body goes along, behind a head that names the host it reaches. Round
  // robin sends one of two PUTs to the dying host first.
  for (int i = 0; i < 2; ++i) {
    auto r = fetch(proxy.port(), "PUT /doc HTTP/1.1\r\nHost: front\r\nContent-Length: 4\r\n\r\nbody");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "127.0.0.1:" + std::to_string(good.port()) + "|body");
  }
  ASSERT_TRUE(dying.wait_requests(1));
  EXPECT_EQ(dying.requests()[0].header("Host"), "127.0.0.1:" + std::to_string(dying.port()));
}

TEST(ProxyFailover, WhenEveryHostFailsTheClientGetsOne502) {
  RefusingPort a;
  RefusingPort b;
  TwoHostProxy proxy(a.port(), b.port());
  auto r = fetch(proxy.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  // The connection stays usable: the next request is answered too.
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(get("/y")));
  auto again = client.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 502);
}

}  // namespace
}  // namespace surge::test
