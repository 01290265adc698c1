// Upgrade through a proxy route, over raw sockets on both sides: the connection becomes a byte
// tunnel only after the upstream's 101; an upstream that answers anything else keeps HTTP; early
// bytes on either side, half-close, the per-worker cap and the idle timeout.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

using namespace std::chrono_literals;

// Reads into buffer until done(buffer) says so (false if the peer closes or 5 s pass first).
template <class Done>
bool read_while_not(int fd, std::string& buffer, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done(buffer)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char data[65536];
    const ssize_t n = ::recv(fd, data, sizeof(data), 0);
    if (n <= 0) return false;
    buffer.append(data, static_cast<std::size_t>(n));
  }
  return true;
}

bool read_until(int fd, std::string& buffer, std::string_view until) {
  return read_while_not(fd, buffer, [until](const std::string& b) { return b.find(until) != std::string::npos; });
}

bool read_bytes(int fd, std::string& buffer, std::size_t n) {
  return read_while_not(fd, buffer, [n](const std::string& b) { return b.size() >= n; });
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// An upstream that reads a request head and then does what the test says with the socket (the
// head, and whatever came behind it, are passed in). One thread per connection.
class RawUpstream {
 public:
  using Serve = std::function<void(int fd, const std::string& head, std::string rest)>;
  explicit RawUpstream(Serve serve) : serve_(std::move(serve)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(a);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        std::lock_guard lock(mutex_);
        if (stopping_) {
          ::close(fd);
          return;
        }
        fds_.push_back(fd);
        threads_.emplace_back([this, fd] {
          std::string buffer;
          if (!read_until(fd, buffer, "\r\n\r\n")) return;
          const std::size_t end = buffer.find("\r\n\r\n") + 4;
          const std::string head = buffer.substr(0, end);
          {
            std::lock_guard guard(mutex_);
            heads_.push_back(head);
          }
          serve_(fd, head, buffer.substr(end));
        });
      }
    });
  }
  ~RawUpstream() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    for (auto& t : threads_) t.join();
    for (int fd : fds_) ::close(fd);
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  Serve serve_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> threads_;
  std::vector<int> fds_;
  std::vector<std::string> heads_;
  bool stopping_ = false;
};

std::string field(const std::string& head, const std::string& name) {
  const std::size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "<none>";
  const std::size_t start = at + name.size() + 4;
  return head.substr(start, head.find("\r\n", start) - start);
}

// Answers 101 with `early` behind its head, then echoes every byte back prefixed by nothing;
// when surged passes on the client's FIN, sends "bye" and closes.
void switch_and_echo(int fd, const std::string& /*head*/, std::string rest, std::string early = "") {
  send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\nX-Up: 1\r\n\r\n" + early);
  if (!rest.empty()) send_all(fd, rest);
  char data[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, data, sizeof(data), 0);
    if (n <= 0) break;
    send_all(fd, std::string_view(data, static_cast<std::size_t>(n)));
  }
  send_all(fd, "bye");
  ::shutdown(fd, SHUT_WR);
}

class TunnelServer {
 public:
  explicit TunnelServer(std::uint16_t port, const std::string& upstream_extra = "",
                        ServerConfig server = test_config())
      : config_(detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" +
                                         std::to_string(port) + R"("}])" + upstream_extra + R"(}},
          "routes": [{"path": "/*path", "method": "*", "handler": {"type": "proxy", "upstream": "app"}}]})",
                                     "test.json")),
        server_(server, detail::build_router(config_, "test.json", std::make_shared<detail::Readiness>(), nullptr)) {}
  std::uint16_t port() const { return server_.port(); }
  Server& server() { return server_.server(); }

 private:
  detail::DaemonConfig config_;
  TestServer server_;
};

std::string upgrade_request(std::string_view target = "/chat") {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: front\r\nConnection: keep-alive, Upgrade\r\nUpgrade: echo\r\nX-Client: 1\r\n\r\n";
}

// Sends the upgrade request and reads the 101's head; the bytes after it stay in `rest`.
std::string open_tunnel(RawClient& client, std::string& rest, std::string_view extra = "") {
  EXPECT_TRUE(client.send(upgrade_request() + std::string(extra)));
  std::string buffer;
  read_until(client.fd(), buffer, "\r\n\r\n");
  const std::size_t end = buffer.find("\r\n\r\n");
  if (end == std::string::npos) return buffer;
  rest = buffer.substr(end + 4);
  return buffer.substr(0, end + 4);
}

TEST(ProxyTunnel, BecomesATunnelAfterThe101AndRelaysBothWays) {
  RawUpstream upstream([](int fd, const std::string& head, std::string rest) { switch_and_echo(fd, head, rest); });
  TunnelServer proxy(upstream.port());
  RawClient client(proxy.port());
  std::string rest;
  const std::string head = open_tunnel(client, rest);
  ASSERT_EQ(head.substr(0, 13), "HTTP/1.1 101 ") << head;
  EXPECT_EQ(field(head, "Upgrade"), "echo");
  EXPECT_EQ(field(head, "Connection"), "upgrade");
  EXPECT_EQ(field(head, "X-Up"), "1");
  EXPECT_EQ(field(head, "Content-Length"), "<none>");

  // The upstream saw the upgrade asked for, with the client's own fields.
  ASSERT_EQ(upstream.heads().size(), 1u);
  const std::string up = upstream.heads()[0];
  EXPECT_EQ(field(up, "Upgrade"), "echo");
  EXPECT_EQ(field(up, "Connection"), "upgrade");
  EXPECT_EQ(field(up, "X-Client"), "1");

  // Bytes that are not HTTP go through unchanged, both ways, many times.
  std::string echoed = rest;
  for (int i = 0; i < 50; ++i) {
    const std::string message = "frame " + std::to_string(i) + " \r\n\r\nGET / HTTP/1.1\r\n\r\n";
    ASSERT_TRUE(client.send(message));
    ASSERT_TRUE(read_until(client.fd(), echoed, message)) << i;
    echoed.clear();
  }
  // 1 MiB in one go: back-pressure on both legs, nothing lost or reordered.
  std::string big(1 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 31 + i / 7) % 26);
  std::thread writer([&] { client.send(big); });
  std::string got;
  const bool whole = read_bytes(client.fd(), got, big.size());
  writer.join();
  ASSERT_TRUE(whole);
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);

  // The client's FIN reaches the upstream, whose last bytes and FIN reach the client.
  client.shutdown_write();
  std::string tail;
  read_until(client.fd(), tail, "bye");
  EXPECT_EQ(tail, "bye");
  EXPECT_TRUE(client.wait_closed());
}

TEST(ProxyTunnel, EarlyBytesOnBothSidesArriveInOrder) {
  RawUpstream upstream([](int fd, const std::string& head, std::string rest) {
    switch_and_echo(fd, head, rest, "server-first|");
  });
  TunnelServer proxy(upstream.port());
  RawClient client(proxy.port());
  std::string rest;
  // The client's first tunnel bytes come in the same packet as its request.
  const std::string head = open_tunnel(client, rest, "client-first|");
  ASSERT_EQ(head.substr(0, 13), "HTTP/1.1 101 ") << head;
  ASSERT_TRUE(read_until(client.fd(), rest, "server-first|client-first|"));
  EXPECT_EQ(rest, "server-first|client-first|");
}

TEST(ProxyTunnel, AnUpstreamThatRefusesTheUpgradeKeepsHttp) {
  RawUpstream upstream([](int fd, const std::string& head, std::string) {
    // Refuses (as an upstream without WebSocket support does), then serves the next request.
    send_all(fd, "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope");
    std::string buffer;
    if (head.find("Upgrade") != std::string::npos && read_until(fd, buffer, "\r\n\r\n")) {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain");
    }
    std::string drain;
    read_until(fd, drain, "never");
  });
  TunnelServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(upgrade_request()));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 426);
  EXPECT_EQ(r->body, "nope");
  EXPECT_FALSE(r->header("Upgrade"));
  // The connection is still HTTP on both legs: the next request is parsed and answered as one.
  ASSERT_TRUE(client.send(get("/next")));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "plain");
}

TEST(ProxyTunnel, A101ToARequestThatDidNotAskIsA502AndNoTunnel) {
  RawUpstream upstream([](int fd, const std::string&, std::string) {
    send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nsmuggled");
    std::string drain;
    read_until(fd, drain, "never");
  });
  TunnelServer proxy(upstream.port());
  RawClient client(proxy.port());
  ASSERT_TRUE(client.send(get("/plain")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->body.find("smuggled"), std::string::npos);
}

TEST(ProxyTunnel, UpgradeOverTheWorkersCapIs503UntilATunnelCloses) {
  RawUpstream upstream([](int fd, const std::string& head, std::string rest) { switch_and_echo(fd, head, rest); });
  TunnelServer proxy(upstream.port(), R"(, "tunnels": {"max_per_worker": 1})");
  auto first = std::make_unique<RawClient>(proxy.port());
  std::string rest;
  ASSERT_EQ(open_tunnel(*first, rest).substr(0, 13), "HTTP/1.1 101 ");

  RawClient second(proxy.port());
  ASSERT_TRUE(second.send(upgrade_request()));
  auto refused = second.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(upstream.heads().size(), 1u);  // never reached the upstream
  // Plain requests are not tunnels: the cap does not apply to them.

  first.reset();  // the client goes: its tunnel closes, and the room is back
  bool opened = false;
  for (int attempt = 0; attempt < 50 && !opened; ++attempt) {
    RawClient again(proxy.port());
    std::string more;
    const std::string head = open_tunnel(again, more);
    opened = head.substr(0, 13) == "HTTP/1.1 101 ";
    if (!opened) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(opened);
}

TEST(ProxyTunnel, AnIdleTunnelIsClosedAfterItsIdleTimeout) {
  std::atomic<bool> upstream_saw_close{false};
  RawUpstream upstream([&](int fd, const std::string& head, std::string rest) {
    switch_and_echo(fd, head, rest);
    upstream_saw_close = true;
  });
  TunnelServer proxy(upstream.port(), R"(, "tunnels": {"idle_timeout_ms": 300})");
  RawClient client(proxy.port());
  std::string rest;
  ASSERT_EQ(open_tunnel(client, rest).substr(0, 13), "HTTP/1.1 101 ");
  ASSERT_TRUE(client.send("ping"));
  std::string echoed;
  ASSERT_TRUE(read_until(client.fd(), echoed, "ping"));
  // Then nothing either way: surged closes both ends.
  EXPECT_TRUE(client.wait_closed(10s));
  for (int i = 0; i < 100 && !upstream_saw_close; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(upstream_saw_close);
}

TEST(ProxyTunnel, ATunnelKeepsWorkingThroughAGracefulShutdownUntilItsTimeout) {
  RawUpstream upstream([](int fd, const std::string& head, std::string rest) { switch_and_echo(fd, head, rest); });
  ServerConfig config = test_config();
  config.shutdown.timeout = 1500ms;
  TunnelServer proxy(upstream.port(), "", config);
  RawClient client(proxy.port());
  std::string rest;
  ASSERT_EQ(open_tunnel(client, rest).substr(0, 13), "HTTP/1.1 101 ");
  std::thread stopping([&] {
    proxy.server().shutdown();
    proxy.server().wait();
  });
  for (int i = 0; i < 200 && !proxy.server().draining(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(proxy.server().draining());
  // Draining: the tunnel is in flight, as a request would be, and still carries bytes.
  for (int i = 0; i < 5; ++i) {
    const std::string message = "during shutdown " + std::to_string(i);
    ASSERT_TRUE(client.send(message));
    std::string echoed;
    ASSERT_TRUE(read_until(client.fd(), echoed, message));
  }
  // At shutdown.timeout the worker closes what is left, the tunnel with it.
  EXPECT_TRUE(client.wait_closed(15s));
  stopping.join();
}

TEST(ProxyTunnel, AnUpstreamThatClosesEndsTheTunnel) {
  RawUpstream upstream([](int fd, const std::string&, std::string) {
    send_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nlast words");
    ::shutdown(fd, SHUT_RDWR);
  });
  TunnelServer proxy(upstream.port());
  RawClient client(proxy.port());
  std::string rest;
  ASSERT_EQ(open_tunnel(client, rest).substr(0, 13), "HTTP/1.1 101 ");
  rest += client.read_until_closed();
  EXPECT_EQ(rest, "last words");
  EXPECT_TRUE(client.peer_closed());
}

}  // namespace
}  // namespace surge::test
