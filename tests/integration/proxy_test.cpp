// Proxy routes end to end: a client over a raw socket, surged in-process with a configuration's
// proxy route, and a scripted upstream that answers (or misbehaves) as each test says: framing
// on both legs, hop-by-hop fields, keep-alive reuse, streaming, upstream failures, the keep-alive
// race, smuggling attempts that must never reach the upstream.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/raw_client.hpp"
#include "support/scripted_upstream.hpp"
#include "support/test_server.hpp"
#include "support/text.hpp"

namespace surge::test {
namespace {

using namespace std::chrono_literals;

// surged with one proxy route "/*path" (every method) to the upstream at `port`.
class ProxyServer {
 public:
  explicit ProxyServer(std::uint16_t port, const std::string& upstream_extra = "",
                       const std::string& handler_extra = "", ServerConfig server = test_config())
      : config_(detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" +
                                         std::to_string(port) + R"("}])" + upstream_extra + R"(}},
          "routes": [{"path": "/*path", "method": "*", "max_body_bytes": 67108864,
                      "handler": {"type": "proxy", "upstream": "app")" +
                                         handler_extra + R"(}}]})",
                                     "test.json")),
        server_(server, detail::build_router(config_, "test.json",
                                                    std::make_shared<detail::Readiness>(), nullptr)) {}
  std::uint16_t port() const { return server_.port(); }

 private:
  detail::DaemonConfig config_;
  TestServer server_;
};

std::string pattern(std::size_t size) {
  std::string s(size, 'a');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

TEST(Proxy, ForwardsMethodTargetAndBodyWithoutHopByHopFields) {
  ScriptedUpstream upstream([](const UpstreamRequest&) { return ok("done"); });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send("PUT /a/b%20c?x=1&y HTTP/1.1\r\nHost: front.example\r\nConnection: keep-alive, X-Private\r\n"
                          "X-Private: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\n"
                          "X-Forwarded-For: 6.6.6.6\r\nX-Kept: yes\r\nContent-Length: 5\r\n\r\nhello"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  ASSERT_TRUE(upstream.wait_requests(1));
  const UpstreamRequest got = upstream.requests()[0];
  EXPECT_EQ(got.request_line(), "PUT /a/b%20c?x=1&y HTTP/1.1");
  EXPECT_EQ(got.body, "hello");
  EXPECT_EQ(got.header("Content-Length"), "5");
  EXPECT_EQ(got.header("Host"), "front.example");
  EXPECT_EQ(got.header("X-Kept"), "yes");
  for (const char* gone : {"Connection", "X-Private", "Keep-Alive", "TE", "Proxy-Connection"}) {
    EXPECT_FALSE(got.has_header(gone)) << gone;
  }
  // The client is not a trusted proxy: its X-Forwarded-For could be forged, so it is replaced.
  EXPECT_EQ(got.header("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(got.header("X-Forwarded-Proto"), "http");
  EXPECT_EQ(got.header("X-Forwarded-Host"), "front.example");
}

TEST(Proxy, RemovesHopByHopFieldsFromTheResponse) {
  ScriptedUpstream upstream([](const UpstreamRequest&) {
    return UpstreamReply{"HTTP/1.1 201 Created\r\nConnection: X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=9\r\n"
                         "Upgrade: nothing\r\nX-End: 1\r\nContent-Length: 2\r\n\r\nok"};
  });
  ProxyServer proxy(upstream.port());
  auto r = fetch(proxy.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->header("X-End"), "1");
  EXPECT_FALSE(r->header("X-Hop"));
  EXPECT_FALSE(r->header("Keep-Alive"));
  EXPECT_FALSE(r->header("Upgrade"));
}

TEST(Proxy, ReusesOneUpstreamConnectionForSequentialRequests) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) { return ok(r.request_line()); });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.send(get("/n/" + std::to_string(i))));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "GET /n/" + std::to_string(i) + " HTTP/1.1");
  }
  EXPECT_EQ(upstream.connections(), 1);
}

TEST(Proxy, StreamsALargeChunkedRequestBodyReframed) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) { return ok(std::to_string(r.body.size())); });
  ProxyServer proxy(upstream.port());
  const std::string body = pattern(3 << 20);
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send("POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  ASSERT_TRUE(client.send(chunked(body, 10000)));
  auto r = client.read_response(20s);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(upstream.wait_requests(1));
  const UpstreamRequest got = upstream.requests()[0];
  EXPECT_TRUE(got.chunked);
  EXPECT_EQ(got.body.size(), body.size());
  EXPECT_TRUE(got.body == body);
}

TEST(Proxy, StreamsALargeResponseOfEveryFraming) {
  const std::string body = pattern(2 << 20);
  for (const std::string framing : {"length", "chunked", "close"}) {
    ScriptedUpstream upstream([&](const UpstreamRequest&) {
      if (framing == "length") return ok(body);
      if (framing == "chunked") {
        return UpstreamReply{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 30000)};
      }
      return UpstreamReply{"HTTP/1.1 200 OK\r\n\r\n" + body, {}, /*close=*/true};
    });
    ProxyServer proxy(upstream.port());
    RawClient client(proxy.port());
    ASSERT_TRUE(client.send(get("/big")));
    auto r = client.read_response(20s);
    ASSERT_TRUE(r) << framing;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), body.size()) << framing;
    EXPECT_TRUE(r->body == body) << framing;
    EXPECT_EQ(r->chunks, framing != "length") << framing;
    // The connection goes on; a read-to-close upstream connection is never reused.
    ASSERT_TRUE(client.send(get("/again")));
    ASSERT_TRUE(client.read_response(20s));
    EXPECT_EQ(upstream.connections(), framing == "close" ? 2 : 1) << framing;
  }
}

TEST(Proxy, ConflictingUpstreamFramingIs502AndTheConnectionIsDropped) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    if (r.connection == 0) {
      return UpstreamReply{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"};
    }
    return ok("fine");
  });
  ProxyServer proxy(upstream.port());
  auto bad = fetch(proxy.port(), get("/1"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 502);
  auto good = fetch(proxy.port(), get("/2"));
  ASSERT_TRUE(good);
  EXPECT_EQ(good->body, "fine");
  EXPECT_EQ(upstream.connections(), 2);
}

TEST(Proxy, AnUpstreamDyingMidBodyClosesTheClientConnectionShort) {
  ScriptedUpstream upstream([](const UpstreamRequest&) {
    return UpstreamReply{"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(70000, 'x'), 50ms, true};
  });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(get("/cut")));
  EXPECT_FALSE(client.read_response(5s));  // never a complete-looking response
  EXPECT_TRUE(client.wait_closed());
}

TEST(Proxy, RefusedConnectIs502AndASlowUpstreamIs504) {
  std::uint16_t closed_port;
  {
    ScriptedUpstream gone([](const UpstreamRequest&) { return ok(""); });
    closed_port = gone.port();
  }
  ProxyServer refused(closed_port);
  auto r = fetch(refused.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);

  ScriptedUpstream slow([](const UpstreamRequest&) { return UpstreamReply{ok("late").bytes, 3000ms}; });
  ProxyServer impatient(slow.port(), R"(, "timeouts": {"read_ms": 200})");
  r = fetch(impatient.port(), get("/x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
}

// A proxied request is bounded by its upstream's timeouts (read_ms between reads), not by the
// engine's handler deadline: an upstream slower than timeouts.handler_ms but within read_ms
// answers.
TEST(Proxy, TheUpstreamsTimeoutsNotTheHandlerDeadlineBoundAProxiedRequest) {
  ScriptedUpstream slow([](const UpstreamRequest&) { return UpstreamReply{ok("worth the wait").bytes, 600ms}; });
  ServerConfig server = test_config();
  server.timeouts.handler = 100ms;
  ProxyServer proxy(slow.port(), R"(, "timeouts": {"read_ms": 5000})", "", server);
  auto r = fetch(proxy.port(), get("/slow"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "worth the wait");
}

// The keep-alive race: the upstream closes a reused connection instead of answering. A GET is
// sent again once on a new connection; a POST is never replayed.
TEST(Proxy, ARequestRacingAnUpstreamCloseIsRetriedOnceWhenReplayable) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    if (r.index == 1) return UpstreamReply{"", {}, /*close=*/true};  // the second request on a connection
    return ok("answer " + std::to_string(r.connection));
  });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(get("/first")));
  ASSERT_EQ(client.read_response()->body, "answer 0");
  ASSERT_TRUE(client.send(get("/second")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "answer 1");
  EXPECT_EQ(upstream.connections(), 2);

  // Connection 1 is in the pool with one request served: a POST on it meets the close.
  ASSERT_TRUE(client.send("POST /pay HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
  r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(upstream.connections(), 2);  // not replayed on a new connection
}

TEST(Proxy, WhatTheParserRefusesNeverReachesTheUpstream) {
  ScriptedUpstream upstream([](const UpstreamRequest&) { return ok("reached"); });
  ProxyServer proxy(upstream.port());
  for (const std::string attack :
       {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd",
        "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n"}) {
    auto r = fetch(proxy.port(), attack);
    ASSERT_TRUE(r);
    EXPECT_GE(r->status, 400);
    EXPECT_LT(r->status, 502);
  }
  EXPECT_EQ(upstream.requests().size(), 0u);
}

TEST(Proxy, HeadKeepsTheAnnouncedLengthAndTheConnection) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    if (r.request_line().rfind("HEAD", 0) == 0) return UpstreamReply{"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"};
    return ok("after head");
  });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = client.read_response(5s, /*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Content-Length"), "1000");
  ASSERT_TRUE(client.send(get("/next")));
  EXPECT_EQ(client.read_response()->body, "after head");
  EXPECT_EQ(upstream.connections(), 1);
}

TEST(Proxy, AClientLeavingMidResponseDropsTheUpstreamConnection) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    if (r.connection == 0) {
      return UpstreamReply{"HTTP/1.1 200 OK\r\nContent-Length: 50000000\r\n\r\n" + std::string(8 << 20, 'z')};
    }
    return ok("fresh");
  });
  ProxyServer proxy(upstream.port());
  {
    RawClient client(proxy.port());
    ASSERT_TRUE(client.send(get("/huge")));
    EXPECT_FALSE(client.read_some(5s).empty());
  }
  for (int i = 0; i < 500 && upstream.closed_by_peer() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(upstream.closed_by_peer(), 1);  // a half-read connection is never pooled
  auto r = fetch(proxy.port(), get("/after"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "fresh");
}

TEST(Proxy, InterimResponsesAreDroppedAndExpectIsAnsweredBySurged) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    EXPECT_FALSE(r.has_header("Expect"));
    return UpstreamReply{"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + ok(r.body).bytes};
  });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send("POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  EXPECT_EQ(client.read_some(5s).substr(0, 12), "HTTP/1.1 100");
  ASSERT_TRUE(client.send("data"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "data");
}

// "method": "*" takes every method token, the ones surged does not implement too, and forwards
// it as sent (WebDAV, cache purges).
TEST(Proxy, AnEveryMethodRouteForwardsUnknownMethodsAsSent) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) { return ok(r.request_line() + " " + r.body); });
  ProxyServer proxy(upstream.port());
  RawClient client(proxy.port());
  const std::string xml = "<?xml version=\"1.0\"?><propfind xmlns=\"DAV:\"><allprop/></propfind>";
  ASSERT_TRUE(client.send("PROPFIND /x HTTP/1.1\r\nHost: t\r\nDepth: 1\r\nContent-Type: application/xml\r\n"
                          "Content-Length: " + std::to_string(xml.size()) + "\r\n\r\n" + xml));
  auto propfind = client.read_response();
  ASSERT_TRUE(propfind);
  EXPECT_EQ(propfind->status, 200);
  EXPECT_EQ(propfind->body, "PROPFIND /x HTTP/1.1 " + xml);
  ASSERT_TRUE(client.send("PURGE /y?all HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto purge = client.read_response();
  ASSERT_TRUE(purge);
  EXPECT_EQ(purge->status, 200);
  EXPECT_EQ(purge->body, "PURGE /y?all HTTP/1.1 ");
  ASSERT_TRUE(upstream.wait_requests(2));
  const std::vector<UpstreamRequest> got = upstream.requests();
  EXPECT_EQ(got[0].request_line(), "PROPFIND /x HTTP/1.1");
  EXPECT_EQ(got[0].header("Depth"), "1");
  EXPECT_EQ(got[1].request_line(), "PURGE /y?all HTTP/1.1");
  EXPECT_EQ(upstream.connections(), 1);  // both on one kept-alive connection, each leg
  ASSERT_TRUE(client.send(get("/after")));
  EXPECT_EQ(client.read_response()->body, "GET /after HTTP/1.1 ");
}

TEST(Proxy, AProxyRouteWithListedMethodsAnswersUnknownOnesWith501) {
  ScriptedUpstream upstream([](const UpstreamRequest&) { return ok("reached"); });
  const detail::DaemonConfig config = detail::parse_config(
      R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" + std::to_string(upstream.port()) +
          R"("}]}}, "routes": [{"path": "/*path", "method": ["GET", "POST"], "handler": {"type": "proxy", "upstream": "app"}}]})",
      "test.json");
  TestServer server(test_config(), detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr));
  for (const char* request : {"PURGE /y HTTP/1.1\r\nHost: t\r\n\r\n", "PROPFIND /x HTTP/1.1\r\nHost: t\r\n\r\n"}) {
    auto r = fetch(server.port(), request);
    ASSERT_TRUE(r) << request;
    EXPECT_EQ(r->status, 501) << request;
  }
  auto put = fetch(server.port(), "PUT /z HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(upstream.requests().size(), 0u);
}

// A proxy does not tunnel: CONNECT is refused, even by a route for every method.
TEST(Proxy, ConnectIsRefusedWith501AndNeverForwarded) {
  ScriptedUpstream upstream([](const UpstreamRequest&) { return ok("reached"); });
  ProxyServer proxy(upstream.port());
  auto r = fetch(proxy.port(), "CONNECT upstream.example:443 HTTP/1.1\r\nHost: upstream.example:443\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
  EXPECT_EQ(upstream.requests().size(), 0u);
}

}  // namespace
}  // namespace surge::test
