// Keep-alive, pipelining, HTTP/1.0, HEAD, 100-continue, chunked bodies, garbage: over real sockets.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <surge/context.hpp>
#include <surge/router.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

TEST(HttpFraming, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server;
  RawClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/plaintext")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "Hello, World!");
    EXPECT_FALSE(r->closes());
    EXPECT_TRUE(r->header("Date"));
    EXPECT_EQ(r->header("Server"), "surge");
    EXPECT_EQ(r->header("Content-Length"), "13");
  }
}

// The request and the FIN arrive together, often in one readiness event: a read that returns the
// request is short, yet the socket is not drained (the end of input waits behind it). The
// connection must still see the FIN after answering, and close — not sit until the idle timeout.
TEST(HttpFraming, ARequestFollowedAtOnceByAHalfCloseIsAnsweredThenClosed) {
  ServerConfig config = test_config();
  config.timeouts.idle = std::chrono::minutes(10);  // only the client's FIN can close it in time
  TestServer server(config);
  for (int i = 0; i < 50; ++i) {
    RawClient client(server.port());
    const std::string requests = i % 2 == 0 ? get("/plaintext") : get("/path/a") + get("/path/b");
    ASSERT_TRUE(client.send(requests));
    client.shutdown_write();
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    if (i % 2 == 1) {
      auto second = client.read_response();
      ASSERT_TRUE(second) << i;
      EXPECT_EQ(second->body, "/path/b");
    }
    EXPECT_TRUE(client.wait_closed(5s)) << i;
  }
}

// The writes block (far more than the socket buffers hold, and the client waits before reading):
// the connection waits for room, then goes on, and stays usable.
TEST(HttpFraming, AResponseLargerThanTheSocketBuffersReachesASlowReaderWhole) {
  TestServer server;
  RawClient client(server.port());
  const std::size_t size = 16u << 20;
  ASSERT_TRUE(client.send(get("/big?n=" + std::to_string(size))));
  std::this_thread::sleep_for(200ms);
  auto r = client.read_response(20s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), size);
  ASSERT_TRUE(client.send(get("/plaintext")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "Hello, World!");
}

TEST(HttpFraming, PipelinedRequestsAreAnsweredInOrderWithOneWrite) {
  TestServer server;
  RawClient client(server.port());
  std::string batch;
  for (int i = 0; i < 20; ++i) batch += get("/path/" + std::to_string(i));
  ASSERT_TRUE(client.send(batch));
  for (int i = 0; i < 20; ++i) {
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "/path/" + std::to_string(i));
  }
}

TEST(HttpFraming, APipelineSplitByteByByteIsAnsweredInOrder) {
  TestServer server;
  RawClient client(server.port());
  std::string batch = get("/path/a") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
                      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n" +
                      get("/path/b");
  for (char c : batch) ASSERT_TRUE(client.send(std::string_view(&c, 1)));
  auto a = client.read_response();
  auto echo1 = client.read_response();
  auto echo2 = client.read_response();
  auto b = client.read_response();
  ASSERT_TRUE(a && echo1 && echo2 && b);
  EXPECT_EQ(a->body, "/path/a");
  EXPECT_EQ(echo1->body, "hello");
  EXPECT_EQ(echo2->body, "ab");
  EXPECT_EQ(b->body, "/path/b");
}

TEST(HttpFraming, ALongPipelineLargerThanTheReadBufferIsAnsweredCompletely) {
  TestServer server;
  RawClient client(server.port());
  std::string batch;
  const int n = 500;  // ~20 KiB: spans several reads and buffer compactions
  for (int i = 0; i < n; ++i) batch += get("/path/" + std::to_string(i));
  ASSERT_TRUE(client.send(batch));
  for (int i = 0; i < n; ++i) {
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    ASSERT_EQ(r->body, "/path/" + std::to_string(i));
  }
}

TEST(HttpFraming, Http10ClosesUnlessKeepAliveIsAsked) {
  TestServer server;
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /plaintext HTTP/1.0\r\n\r\n"));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->closes());
    EXPECT_TRUE(client.wait_closed());
  }
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "keep-alive");
  ASSERT_TRUE(client.send("GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(client.read_response());
}

TEST(HttpFraming, ConnectionCloseIsHonouredAndLaterRequestsAreNotProcessed) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/path/1", "Connection: close\r\n") + get("/path/2")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "/path/1");
  EXPECT_TRUE(r->closes());
  EXPECT_EQ(client.read_until_closed(), "");  // /path/2 is never answered
  EXPECT_TRUE(client.peer_closed());
}

TEST(HttpFraming, HeadHasContentLengthAndNoBody) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send("HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\n" + get("/path/after")));
  auto head = client.read_response(5s, /*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "13");
  auto next = client.read_response();  // framing intact: the next response follows directly
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/path/after");
}

TEST(HttpFraming, ExpectContinueGetsA100BeforeTheBody) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("ping"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ping");
}

TEST(HttpFraming, ExpectContinueIsNotSentWhenTheBodyAlreadyCame) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\npong"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "pong");
}

TEST(HttpFraming, ExpectContinueIsNotSentWhenTheBodyIsRefused) {
  ServerConfig config = test_config();
  config.limits.max_body_bytes = 10;
  TestServer server(config);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(r->closes());
}

TEST(HttpFraming, ChunkedBodiesWithExtensionsAndTrailersAreDecoded) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Checksum: 42\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello world");
}

TEST(HttpFraming, ALargeChunkedBodyIsDecodedAcrossManyReads) {
  TestServer server;
  RawClient client(server.port());
  std::string expected;
  std::string wire = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 400; ++i) {
    std::string chunk(100 + i % 7, static_cast<char>('a' + i % 26));
    char size[16];
    std::snprintf(size, sizeof(size), "%zx", chunk.size());
    wire += std::string(size) + "\r\n" + chunk + "\r\n";
    expected += chunk;
  }
  wire += "0\r\n\r\n";
  ASSERT_TRUE(client.send(wire));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, expected);
}

TEST(HttpFraming, AHandlerExceptionBecomesA500AndTheConnectionSurvives) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/throw")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  ASSERT_TRUE(client.send(get("/plaintext")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(HttpFraming, AHandlerMayAskToCloseTheConnection) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/close")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->closes());
  EXPECT_TRUE(client.wait_closed());
}

TEST(HttpFraming, LargeResponsesAreWrittenCompletely) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/big?n=3000000") + get("/path/next")));
  auto r = client.read_response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), 3000000u);
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "/path/next");
}

TEST(HttpFraming, GarbageGetsA400OrACloseAndOtherConnectionsAreUnharmed) {
  TestServer server;
  RawClient bystander(server.port());
  ASSERT_TRUE(bystander.send(get("/plaintext")));
  ASSERT_TRUE(bystander.read_response());
  for (std::string garbage :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // TLS ClientHello
        std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),                   // HTTP/2 preface
        std::string("\x00\xff\xfe\x01\r\n\r\n", 8), std::string(3000, 'A'),
        std::string("GET / HTTP/1.1\r\n") + std::string(100, '\x7f') + "\r\n\r\n"}) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(garbage));
    std::string answer = client.read_until_closed();
    EXPECT_TRUE(client.peer_closed());
    if (!answer.empty()) {
      // 400, or 501 for a first token too long to be any method surge implements.
      EXPECT_TRUE(answer.substr(0, 12) == "HTTP/1.1 400" || answer.substr(0, 12) == "HTTP/1.1 501")
          << answer;
    }
  }
  ASSERT_TRUE(bystander.send(get("/plaintext")));
  auto r = bystander.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpFraming, EmptyLinesBeforeARequestAreIgnored) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send("\r\n\r\n" + get("/plaintext")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpFraming, AbsoluteFormTargetsAreRoutedByTheirPath) {
  TestServer server;
  auto r = fetch(server.port(), "GET http://example.org/path/abs HTTP/1.1\r\nHost: example.org\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "/path/abs");
}

TEST(HttpFraming, ResponsesToHttp10RequestsSayHttp11) {
  TestServer server;
  auto r = fetch(server.port(), "GET /plaintext HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);  // read_response insists on "HTTP/1.1 " (RFC 9110 2.5: highest version we speak)
}

// A request line that can no longer become valid is refused at once: the header timeout here is
// far longer than the client waits, so a server that waited for it would fail the test.
TEST(HttpFraming, ARequestLineThatCannotBeValidIsRefusedAtOnce) {
  ServerConfig config = test_config();
  config.timeouts.header = std::chrono::minutes(5);
  TestServer server(config);
  for (const char* line : {"GET / \r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.1 \r\n", "GET  / HTTP/1.1\r\n",
                           "GET / HTTP/1.1\n", "GET /a\x01b HTTP/1.1", "GET / HTTP/x"}) {
    RawClient client(server.port());
    ASSERT_TRUE(client.send(line));
    auto r = client.read_response(5s);
    ASSERT_TRUE(r) << line;
    EXPECT_EQ(r->status, 400) << line;
    EXPECT_TRUE(client.wait_closed()) << line;
  }
}

// Split right after its version digits, an HTTP/1.2 request is still served as HTTP/1.1 (the
// version is judged once its line is complete, as when the line arrives in one piece).
TEST(HttpFraming, AHigherMinorVersionSplitAfterItsDigitsIsServed) {
  TestServer server;
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /plaintext HTTP/1.2"));
  EXPECT_EQ(client.read_some(50ms), "");
  ASSERT_TRUE(client.send("\r\nHost: t\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Hello, World!");
}

// RFC 3986 6.2.2.2: "/plaintex%74" is "/plaintext"; "%2F" is never a separator.
TEST(HttpFraming, AnEscapedUnreservedCharacterRoutesLikeTheCharacter) {
  TestServer server(test_config(), [] {
    Router router;
    router.get("/plaintext", [](Context& ctx) { ctx.text(200, "plain"); });
    router.get("/a/b", [](Context& ctx) { ctx.text(200, "a-b"); });
    return router;
  }());
  auto r = fetch(server.port(), get("/plaintex%74"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "plain");
  auto slash = fetch(server.port(), get("/a%2Fb"));
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->status, 404);
}

}  // namespace
}  // namespace surge::test
