// Every limit answers with its status, a body naming it, and closes; other connections go on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <surge/context.hpp>
#include <surge/router.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

std::optional<HttpResponse> refused(TestServer& server, const std::string& request) {
  RawClient client(server.port());
  client.send(request);  // may fail half-way: the server refuses early and resets
  auto r = client.read_response();
  if (r) {
    EXPECT_TRUE(r->closes());
  }
  return r;
}

TEST(Limits, ALongRequestLineGets414) {
  ServerConfig config = test_config();
  config.limits.max_request_line_bytes = 100;
  TestServer server(config);
  auto r = refused(server, get("/" + std::string(200, 'a')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  EXPECT_NE(r->body.find("max_request_line_bytes"), std::string::npos);
}

TEST(Limits, ALargeHeaderSectionGets431) {
  ServerConfig config = test_config();
  config.limits.max_header_bytes = 1024;
  TestServer server(config);
  auto r = refused(server, get("/plaintext", "X-Big: " + std::string(2000, 'v') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find("max_header_bytes"), std::string::npos);
}

TEST(Limits, TooManyHeaderFieldsGet431) {
  ServerConfig config = test_config();
  config.limits.max_header_count = 10;
  TestServer server(config);
  std::string fields;
  for (int i = 0; i < 11; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  auto r = refused(server, get("/plaintext", fields));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_NE(r->body.find("max_header_count"), std::string::npos);
}

TEST(Limits, AnAnnouncedHugeBodyGets413BeforeAnyBodyIsSent) {
  TestServer server;  // default limit: 1 MiB
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("max_body_bytes"), std::string::npos);
  EXPECT_TRUE(r->closes());
}

TEST(Limits, AClientStillSendingARefusedBodySeesThe413) {
  ServerConfig config = test_config();
  config.limits.max_body_bytes = 1000;
  TestServer server(config);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3000000\r\n\r\n"));
  // Keep sending after the refusal, as a naive client does: the server drains what it can
  // (lingering close), so the response is not destroyed by a reset.
  std::string chunk(64 * 1024, 'b');
  for (int i = 0; i < 8; ++i) client.send(chunk);
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(Limits, AChunkedBodyOverTheLimitGets413) {
  ServerConfig config = test_config();
  config.limits.max_body_bytes = 10;
  TestServer server(config);
  auto r = refused(server,
                   "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(Limits, ABodyExactlyAtTheLimitIsAccepted) {
  ServerConfig config = test_config();
  config.limits.max_body_bytes = 10;
  TestServer server(config);
  auto r = fetch(server.port(), "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "0123456789");
}

// A route's own limit may be above the server's: a Content-Length between the two is read (Beast
// would judge it against the server's limit before the route is known), one above both is not.
TEST(Limits, ARouteLimitAboveTheServersAdmitsALargerContentLengthBody) {
  ServerConfig config = test_config();
  config.limits.max_body_bytes = 10;
  Router router;
  router.post("/big", [](Context& ctx) { ctx.text(200, std::to_string(ctx.request().body().size())); },
              RouteOptions{.max_body_bytes = 100});
  router.post("/small", [](Context& ctx) { ctx.text(200, std::to_string(ctx.request().body().size())); });
  TestServer server(config, router);
  const std::string body(50, 'x');
  auto r = fetch(server.port(), "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n" + body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "50");
  r = refused(server, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n" + body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  r = refused(server, "POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

// Both connections have a request in progress: nothing can make way, so the newcomer is refused.
TEST(Limits, ConnectionsBeyondThePerWorkerLimitGetA503WhenEveryOneIsBusy) {
  ServerConfig config = test_config();
  config.limits.max_connections_per_worker = 2;
  TestServer server(config);
  RawClient a(server.port());
  RawClient b(server.port());
  // Both are accepted and have begun a request before the third arrives (100 Continue says so).
  for (RawClient* busy : {&a, &b}) {
    ASSERT_TRUE(busy->send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
    EXPECT_EQ(busy->read_some(5s).substr(0, 12), "HTTP/1.1 100");
  }
  RawClient c(server.port());
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("max_connections_per_worker"), std::string::npos);
  EXPECT_TRUE(c.wait_closed());
  for (RawClient* busy : {&a, &b}) {
    ASSERT_TRUE(busy->send("done"));
    auto still = busy->read_response();
    ASSERT_TRUE(still);
    EXPECT_EQ(still->status, 200);
    EXPECT_EQ(still->body, "done");
  }
}

// nginx's ngx_drain_connections: at the limit the longest-idle keep-alive connection is closed to
// admit the newcomer; busy ones are never touched.
TEST(Limits, AtTheConnectionLimitTheLongestIdleConnectionMakesWay) {
  ServerConfig config = test_config();
  config.limits.max_connections_per_worker = 3;
  TestServer server(config);
  RawClient oldest(server.port());
  ASSERT_TRUE(oldest.send(get("/plaintext")));
  ASSERT_TRUE(oldest.read_response());
  RawClient busy(server.port());
  ASSERT_TRUE(busy.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(busy.read_some(5s).substr(0, 12), "HTTP/1.1 100");
  RawClient younger(server.port());
  ASSERT_TRUE(younger.send(get("/plaintext")));
  ASSERT_TRUE(younger.read_response());

  RawClient newcomer(server.port());
  ASSERT_TRUE(newcomer.send(get("/plaintext")));
  auto r = newcomer.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(oldest.wait_closed());  // reclaimed, without a response
  ASSERT_TRUE(busy.send("done"));
  auto finished = busy.read_response();
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->body, "done");
  ASSERT_TRUE(younger.send(get("/plaintext")));
  auto again = younger.read_response();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

// A connection that has sent nothing yet makes way too (it holds a slot, not a request).
TEST(Limits, AtTheConnectionLimitAConnectionThatSentNothingMakesWay) {
  ServerConfig config = test_config();
  config.limits.max_connections_per_worker = 1;
  TestServer server(config);
  RawClient silent(server.port());  // accepted first: the listen queue is first in, first out
  RawClient newcomer(server.port());
  ASSERT_TRUE(newcomer.send(get("/plaintext")));
  auto r = newcomer.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(silent.wait_closed());
}

TEST(Limits, TheLastRequestOnAConnectionSaysCloseAtTheLimit) {
  ServerConfig config = test_config();
  config.limits.max_requests_per_connection = 3;
  TestServer server(config);
  RawClient client(server.port());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(client.send(get("/plaintext")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->closes(), i == 3) << i;
  }
  EXPECT_TRUE(client.wait_closed());
}

TEST(Limits, AClientThatPipelinesWithoutReadingStopsBeingReadAndHarmsNoOne) {
  ServerConfig config = test_config();
  config.limits.max_pipelined_responses = 8;
  TestServer server(config);
  RawClient greedy(server.port());
  // Many requests for large responses, never read while sending: the server's writes block,
  // it stops reading, and this send blocks too; do it from a thread.
  const int n = 200;
  std::string batch;
  for (int i = 0; i < n; ++i) batch += get("/big?n=100000");
  std::thread sender([&] { greedy.send(batch); });
  // Meanwhile, someone else is served normally.
  for (int i = 0; i < 5; ++i) {
    auto r = fetch(server.port(), get("/plaintext"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // When the greedy client finally reads, everything arrives, in order.
  for (int i = 0; i < n; ++i) {
    auto r = greedy.read_response(10s);
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body.size(), 100000u);
  }
  sender.join();
}

}  // namespace
}  // namespace surge::test
