// Every timeout, with small configured values. The assertions are about outcomes (a 408, a
// close, a bystander served), never about how long something took.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

ServerConfig short_timeouts() {
  ServerConfig config = test_config();
  config.timeouts.header = 300ms;
  config.timeouts.body = 300ms;
  config.timeouts.idle = 300ms;
  config.timeouts.write = 300ms;
  config.timeouts.linger = 300ms;
  return config;
}

TEST(Timeouts, ASlowlorisHeaderIsCutOffWith408WhileOthersAreServed) {
  TestServer server(short_timeouts());
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 20; ++i) slow.push_back(std::make_unique<RawClient>(server.port()));
  const std::string header = "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(200, 'z');
  bool all_cut = false;
  for (std::size_t byte = 0; byte < header.size() && !all_cut; ++byte) {
    all_cut = true;
    for (auto& client : slow) all_cut &= !client->send(std::string_view(&header[byte], 1)) || client->peer_closed();
    auto r = fetch(server.port(), get("/plaintext"));  // a normal client is never starved
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    std::this_thread::sleep_for(50ms);
    for (auto& client : slow) {
      std::string got = client->read_some(1ms);
      if (!got.empty()) {
        EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
      }
    }
  }
  for (auto& client : slow) EXPECT_TRUE(client->wait_closed());
}

// Pipelined requests fill most of the read buffer and a partial one follows: it is moved to the
// front of the buffer to make room, and a fresh parser has not yet seen it. Its header timeout
// still answers 408, as for any request that has begun.
TEST(Timeouts, APartialPipelinedRequestMovedToMakeRoomStillGets408) {
  TestServer server(short_timeouts());
  RawClient client(server.port());
  std::string pipelined;
  while (pipelined.size() < 3400) pipelined += get("/plaintext");
  const std::size_t complete = pipelined.size() / get("/plaintext").size();
  ASSERT_TRUE(client.send(pipelined + "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: abc"));
  for (std::size_t i = 0; i < complete; ++i) {
    auto r = client.read_response();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
  }
  auto timeout = client.read_response();
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->status, 408);
  EXPECT_TRUE(client.wait_closed());
}

TEST(Timeouts, AConnectionThatSendsNothingIsClosedSilently) {
  TestServer server(short_timeouts());
  RawClient client(server.port());
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.peer_closed());
}

TEST(Timeouts, AnIdleKeepAliveConnectionIsClosedSilently) {
  TestServer server(short_timeouts());
  RawClient client(server.port());
  ASSERT_TRUE(client.send(get("/plaintext")));
  ASSERT_TRUE(client.read_response());
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_TRUE(client.peer_closed());
}

TEST(Timeouts, AStalledBodyGets408) {
  TestServer server(short_timeouts());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_NE(r->body.find("timeouts.body_ms"), std::string::npos);
  EXPECT_TRUE(client.wait_closed());
}

// Slow POST (R-U-Dead-Yet): a byte at a time, never pausing as long as the body timeout, but far
// below the minimum rate once the grace period has passed: 408 and close, others served.
TEST(Timeouts, ABodyTrickledBelowTheMinimumRateGets408) {
  ServerConfig config = short_timeouts();
  config.timeouts.body = 10s;  // only the rate can cut this client off in time
  config.timeouts.body_min_bytes_per_s = 100;
  config.timeouts.min_rate_grace = 200ms;
  TestServer server(config);
  RawClient slow(server.port());
  ASSERT_TRUE(slow.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"));
  std::string got;
  for (int i = 0; i < 200 && got.empty(); ++i) {
    if (!slow.send("x")) break;
    got = slow.read_some(50ms);
    auto r = fetch(server.port(), get("/plaintext"));  // a normal client is never starved
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_NE(got.find("timeouts.body_min_bytes_per_s"), std::string::npos) << got;
  EXPECT_TRUE(slow.wait_closed());
}

// The same rate, met: a body that arrives at a steady pace above it is read to the end.
TEST(Timeouts, ABodyAboveTheMinimumRateIsRead) {
  ServerConfig config = short_timeouts();
  config.timeouts.body = 10s;
  config.timeouts.body_min_bytes_per_s = 100;
  config.timeouts.min_rate_grace = 200ms;
  TestServer server(config);
  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4000\r\n\r\n"));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client.send(std::string(400, 'a')));
    std::this_thread::sleep_for(50ms);  // 8 KB/s, far above 100 B/s
  }
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 4000u);
}

// A client that reads a large response, but far below the minimum rate: closed before the end,
// though it never pauses as long as the write timeout.
TEST(Timeouts, AReaderBelowTheMinimumRateIsCutOff) {
  ServerConfig config = short_timeouts();
  config.timeouts.write = 10s;  // only the rate can cut this client off in time
  config.timeouts.send_min_bytes_per_s = 8u << 20;
  config.timeouts.min_rate_grace = 200ms;
  TestServer server(config);
  RawClient reader(server.port());
  const std::size_t size = 64u << 20;
  ASSERT_TRUE(reader.send(get("/big?n=" + std::to_string(size))));
  std::size_t received = 0;
  for (int i = 0; i < 400 && !reader.peer_closed(); ++i) {
    received += reader.read_some(5ms).size();  // at most 64 KiB per read: far below 8 MiB/s
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(reader.peer_closed());
  EXPECT_LT(received, size);
  auto r = fetch(server.port(), get("/plaintext"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(Timeouts, AClientThatDoesNotReadIsCutOffAndBlocksNoOne) {
  TestServer server(short_timeouts());
  RawClient reader_that_never_reads(server.port());
  const std::size_t size = 64u << 20;  // far more than the socket buffers hold
  ASSERT_TRUE(reader_that_never_reads.send(get("/big?n=" + std::to_string(size))));
  std::this_thread::sleep_for(100ms);
  auto r = fetch(server.port(), get("/plaintext"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::this_thread::sleep_for(1500ms);  // well past the write timeout: the server gave up
  std::string received = reader_that_never_reads.read_until_closed(10s);
  EXPECT_TRUE(reader_that_never_reads.peer_closed());
  EXPECT_LT(received.size(), size);
}

TEST(Timeouts, AParkedIdleConnectionIsServedAgain) {
  ServerConfig config = test_config();
  config.pools.release_idle_after = 10ms;  // idle connections give their buffers back quickly
  TestServer server(config);
  RawClient client(server.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get("/path/" + std::to_string(i))));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "/path/" + std::to_string(i));
    std::this_thread::sleep_for(100ms);  // long enough to be parked
  }
  // A parked connection also notices the client closing.
  client.shutdown_write();
  EXPECT_TRUE(client.wait_closed());
}

}  // namespace
}  // namespace surge::test
