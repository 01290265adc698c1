// One client's request bytes never reach another client's response: values handed to a handler
// stay valid while the read buffer grows or is compacted under them (issue 12, item 0).
#include <gtest/gtest.h>

#include <string>

#include <surge/context.hpp>
#include <surge/router.hpp>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

constexpr std::string_view kSecret = "Bearer TOP-SECRET-TOKEN-0123456789";
constexpr std::string_view kCookie = "session=VICTIM-SESSION-abcdefghijklmnopqrstuvwxyz";

// /users/:id and /files/*path answer with their parameter and the size of the body they got.
Router echo_params_router() {
  Router router;
  auto answer = [](std::string_view name) {
    return [name](Context& ctx) {
      ctx.text(200, std::string(ctx.param(name)) + " " + std::to_string(ctx.request().body().size()));
    };
  };
  router.get("/users/:id", answer("id"));
  router.post("/users/:id", answer("id"));
  router.post("/files/*path", answer("path"));
  return router;
}

// Another client's request, served completely while the first one waits for its body: its read
// buffer is the first block the pool hands out, the one most likely to be the victim's old one.
void serve_victim(std::uint16_t port) {
  RawClient victim(port);
  ASSERT_TRUE(victim.send("GET /users/victim HTTP/1.1\r\nHost: a\r\nAuthorization: " +
                          std::string(kSecret) + "\r\nCookie: " + std::string(kCookie) + "\r\n\r\n"));
  auto r = victim.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "victim 0");
}

void expect_not_leaked(const std::string& response) {
  EXPECT_EQ(response.find("TOP-SECRET"), std::string::npos) << response;
  EXPECT_EQ(response.find("VICTIM-SESSION"), std::string::npos) << response;
}

// The body is announced with Content-Length: the read buffer grows to hold it before the handler
// runs, and its old block goes back to the pool.
TEST(RequestIsolation, ParametersSurviveTheBufferGrowingForAContentLengthBody) {
  TestServer server(test_config(), echo_params_router());
  const std::string id(100, 'A');
  const std::string body(5000, 'b');
  RawClient attacker(server.port());
  // Expect: 100-continue: once it is answered, the header was routed and the buffer has grown.
  ASSERT_TRUE(attacker.send("GET /users/" + id + " HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n"
                            "Expect: 100-continue\r\n\r\n"));
  EXPECT_EQ(attacker.read_some(5s).substr(0, 25), "HTTP/1.1 100 Continue\r\n\r\n");
  serve_victim(server.port());
  ASSERT_TRUE(attacker.send(body));
  auto r = attacker.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, id + " 5000");
  expect_not_leaked(r->body);
}

// A chunked body: the buffer is compacted and grown chunk by chunk while the parameters wait.
TEST(RequestIsolation, ParametersSurviveTheBufferGrowingForAChunkedBody) {
  TestServer server(test_config(), echo_params_router());
  const std::string path = "dir/" + std::string(90, 'P') + "/file.txt";
  // A header that nearly fills a pooled 4 KiB buffer, so the first chunk makes it grow.
  const std::string pad(3500, 'x');
  RawClient attacker(server.port());
  ASSERT_TRUE(attacker.send("POST /files/" + path + " HTTP/1.1\r\nHost: a\r\nX-Pad: " + pad +
                            "\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(attacker.read_some(5s).substr(0, 25), "HTTP/1.1 100 Continue\r\n\r\n");
  std::string chunks;
  for (int i = 0; i < 8; ++i) chunks += "400\r\n" + std::string(1024, 'c') + "\r\n";
  ASSERT_TRUE(attacker.send(chunks.substr(0, chunks.size() / 2)));
  serve_victim(server.port());
  ASSERT_TRUE(attacker.send(chunks.substr(chunks.size() / 2) + "0\r\n\r\n"));
  auto r = attacker.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, path + " 8192");
  expect_not_leaked(r->body);
}

// Many interleavings of the two: whatever the attacker's framing and sizes, the victim's bytes
// never appear in the attacker's answers.
TEST(RequestIsolation, AnotherClientsBytesNeverAppearInAResponse) {
  TestServer server(test_config(), echo_params_router());
  for (int round = 0; round < 40; ++round) {
    const std::string id(10 + round * 37 % 400, static_cast<char>('a' + round % 26));
    const std::size_t size = 1000 + static_cast<std::size_t>(round) * 997 % 20000;
    const bool chunked = round % 2 == 1;
    RawClient attacker(server.port());
    std::string head = "POST /users/" + id + " HTTP/1.1\r\nHost: a\r\n";
    head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(size) + "\r\n";
    ASSERT_TRUE(attacker.send(head + "Expect: 100-continue\r\n\r\n"));
    EXPECT_FALSE(attacker.read_some(5s).empty());
    std::string body = chunked ? "" : std::string(size / 2, 'z');
    if (chunked) {
      for (std::size_t sent = 0; sent < size; sent += 500) body += "1f4\r\n" + std::string(500, 'z') + "\r\n";
    }
    ASSERT_TRUE(attacker.send(body));
    serve_victim(server.port());
    ASSERT_TRUE(attacker.send(chunked ? std::string("0\r\n\r\n") : std::string(size - size / 2, 'z')));
    auto r = attacker.read_response();
    ASSERT_TRUE(r) << round;
    EXPECT_EQ(r->body.substr(0, id.size() + 1), id + " ") << round;
    expect_not_leaked(r->body);
  }
}

}  // namespace
}  // namespace surge::test
