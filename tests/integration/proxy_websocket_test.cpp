// A real WebSocket client and a real WebSocket server (Boost.Beast's) through a proxy route: the
// handshake crosses surged as an HTTP/1.1 Upgrade, then messages cross its tunnel.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

// An echo server: each message comes back as it came (text or binary), until the client closes.
class EchoWebSocketServer {
 public:
  EchoWebSocketServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] {
      try {
        tcp::socket socket(io_);
        acceptor_.accept(socket);
        websocket::stream<tcp::socket> ws(std::move(socket));
        ws.accept();
        for (;;) {
          boost::beast::flat_buffer buffer;
          ws.read(buffer);
          ws.text(ws.got_text());
          ws.write(buffer.data());
          ++echoed_;
        }
      } catch (const boost::system::system_error& e) {
        closed_normally_ = e.code() == websocket::error::closed;
      }
    });
  }
  ~EchoWebSocketServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int echoed() const { return echoed_; }
  bool closed_normally() const { return closed_normally_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<int> echoed_{0};
  std::atomic<bool> closed_normally_{false};
};

TEST(ProxyWebSocket, TextAndA100KiBBinaryMessageCrossTheTunnel) {
  EchoWebSocketServer upstream;
  const detail::DaemonConfig config = detail::parse_config(
      R"({"upstreams": {"ws": {"servers": [{"address": "127.0.0.1:)" + std::to_string(upstream.port()) +
          R"("}]}}, "routes": [{"path": "/ws", "method": "GET", "handler": {"type": "proxy", "upstream": "ws"}}]})",
      "test.json");
  TestServer proxy(test_config(),
                   detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr));

  asio::io_context io;
  websocket::stream<tcp::socket> ws(io);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), proxy.port()));
  websocket::response_type handshake;
  ws.handshake(handshake, "front.example", "/ws");  // throws unless a valid 101 came back
  EXPECT_EQ(handshake.result_int(), 101);
  EXPECT_EQ(handshake[boost::beast::http::field::upgrade], "websocket");

  boost::beast::flat_buffer buffer;
  ws.text(true);
  ws.write(asio::buffer(std::string("hello through surged")));
  ws.read(buffer);
  EXPECT_TRUE(ws.got_text());
  EXPECT_EQ(boost::beast::buffers_to_string(buffer.data()), "hello through surged");
  buffer.clear();

  std::string binary(100 * 1024, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  ws.binary(true);
  ws.write(asio::buffer(binary));
  ws.read(buffer);
  EXPECT_TRUE(ws.got_binary());
  EXPECT_TRUE(boost::beast::buffers_to_string(buffer.data()) == binary);
  buffer.clear();

  // Ping/pong are control frames like any other bytes to the tunnel; then a clean close.
  ws.ping({});
  ws.text(true);
  ws.write(asio::buffer(std::string("after ping")));
  ws.read(buffer);
  EXPECT_EQ(boost::beast::buffers_to_string(buffer.data()), "after ping");

  // close() returns once the server's close frame came back through the tunnel.
  ws.close(websocket::close_code::normal);
  for (int i = 0; i < 100 && !upstream.closed_normally(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(upstream.closed_normally());
  EXPECT_EQ(upstream.echoed(), 3);
}

}  // namespace
}  // namespace surge::test
