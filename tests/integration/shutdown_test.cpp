// Graceful shutdown: requests in flight finish, idle connections close, the server stops.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

TEST(Shutdown, ARequestInFlightFinishesWithConnectionCloseAndIdleOnesClose) {
  ServerConfig config = test_config();
  config.shutdown.drain_delay = 0ms;
  config.shutdown.timeout = 10s;
  TestServer server(config);
  RawClient idle(server.port());
  ASSERT_TRUE(idle.send(get("/plaintext")));
  ASSERT_TRUE(idle.read_response());
  RawClient busy(server.port());
  ASSERT_TRUE(busy.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf-"));
  std::this_thread::sleep_for(50ms);  // the header has been parsed: the request is in flight

  server.server().shutdown();
  EXPECT_TRUE(server.server().draining());
  EXPECT_TRUE(idle.wait_closed());  // idle keep-alive connections are closed

  ASSERT_TRUE(busy.send("done!"));
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "half-done!");
  EXPECT_TRUE(r->closes());
  EXPECT_TRUE(busy.wait_closed());
  server.server().wait();  // returns: nothing left
}

// The partial request behind pipelined ones was moved to the front of the read buffer (a fresh
// parser has not seen it yet): a drain must treat it as a request in flight, not close it as idle.
TEST(Shutdown, APartialPipelinedRequestMovedToMakeRoomIsNotClosedAsIdle) {
  ServerConfig config = test_config();
  config.shutdown.drain_delay = 0ms;
  config.shutdown.timeout = 10s;
  TestServer server(config);
  RawClient idle(server.port());
  ASSERT_TRUE(idle.send(get("/plaintext")));
  ASSERT_TRUE(idle.read_response());
  RawClient client(server.port());
  std::string pipelined;
  while (pipelined.size() < 3400) pipelined += get("/plaintext");
  const std::size_t complete = pipelined.size() / get("/plaintext").size();
  ASSERT_TRUE(client.send(pipelined + "GET /path/last HTTP/1.1\r\nHost: t\r\n"));
  for (std::size_t i = 0; i < complete; ++i) ASSERT_TRUE(client.read_response()) << i;

  server.server().shutdown();
  EXPECT_TRUE(idle.wait_closed());  // the worker has closed what it found idle
  ASSERT_TRUE(client.send("\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "/path/last");
  EXPECT_TRUE(r->closes());
  server.server().wait();
}

TEST(Shutdown, ListenersKeepAcceptingDuringTheDrainDelay) {
  ServerConfig config = test_config();
  config.shutdown.drain_delay = 2000ms;  // a wide margin: the test must connect within it
  TestServer server(config);
  server.server().shutdown();
  auto r = fetch(server.port(), get("/plaintext"));  // within the delay: still served...
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->closes());  // ...but the connection retires at this response boundary
  server.server().wait();
}

TEST(Shutdown, WhatIsLeftAtTheShutdownTimeoutIsForceClosed) {
  ServerConfig config = test_config();
  config.shutdown.drain_delay = 0ms;
  config.shutdown.timeout = 200ms;
  TestServer server(config);
  RawClient stuck(server.port());
  ASSERT_TRUE(stuck.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nnever"));
  std::this_thread::sleep_for(50ms);
  server.server().shutdown();
  server.server().wait();
  EXPECT_TRUE(stuck.wait_closed());
}

TEST(Shutdown, NewConnectionsAreRefusedOnceListenersClosed) {
  ServerConfig config = test_config();
  config.shutdown.drain_delay = 0ms;
  TestServer server(config);
  std::uint16_t port = server.port();
  server.server().shutdown();
  server.server().wait();
  EXPECT_THROW(RawClient client(port), std::runtime_error);
}

}  // namespace
}  // namespace surge::test
