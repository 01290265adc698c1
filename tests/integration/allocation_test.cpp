// Steady-state serving allocates nothing: the daemon's default routes (text, JSON, a JSON
// template with a path parameter) and default middleware, counted with a replaced operator new
// over thousands of keep-alive requests. The client below allocates nothing in its loop either.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "http/application.hpp"
#include "metrics/request_metrics.hpp"
#include "router/router_app.hpp"
#include "server/request_observer.hpp"
#include "server/server_hooks.hpp"
#include "support/allocation_counter.hpp"
#include "support/raw_client.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Sends one request and reads one response of known size into a static buffer. No allocation.
bool round_trip(int fd, const char* request, std::size_t request_size, std::size_t response_size) {
  static char buffer[16384];
  if (::send(fd, request, request_size, MSG_NOSIGNAL) != static_cast<ssize_t>(request_size)) return false;
  std::size_t got = 0;
  while (got < response_size) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return got == response_size && std::memcmp(buffer, "HTTP/1.1 200 OK\r\n", 17) == 0;
}

// The size of the (fixed-size) response to request, learnt once (this may allocate).
std::size_t response_size(std::uint16_t port, const std::string& request) {
  int fd = connect_to(port);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[16384];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
    auto end = response.find("\r\n\r\n");
    if (end == std::string::npos) continue;
    auto cl = response.find("Content-Length: ");
    std::size_t length = std::stoul(response.substr(cl + 16));
    if (response.size() >= end + 4 + length) {
      ::close(fd);
      return end + 4 + length;
    }
  }
  ::close(fd);
  return 0;
}

class ZeroAllocation : public ::testing::TestWithParam<const char*> {};

// surged's defaults as it serves them (or the configuration given): the default routes and
// middleware, and the request metrics (counters and latency histograms per route) observing
// every request.
class DefaultDaemon {
 public:
  explicit DefaultDaemon(const std::string& config = "{}") {
    detail::DaemonConfig daemon = detail::parse_config(config, "defaults");
    auto app = detail::freeze(
        detail::build_router(daemon, "defaults", std::make_shared<detail::Readiness>(), nullptr));
    auto metrics = std::make_shared<detail::RequestMetrics>(daemon.metrics.http, app->route_labels(), 1);
    std::vector<std::shared_ptr<detail::RequestObserver>> observers{metrics};
    server_ = detail::ServerHooks::make(test_config(), app, nullptr, std::move(observers));
    server_->start();
  }
  ~DefaultDaemon() {
    server_->stop();
    server_->wait();
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<Server> server_;
};

// Sends `request` over 20 keep-alive connections, warms up, then counts the allocations of
// 100,000 more.
void expect_no_allocations_serving(std::uint16_t port, const std::string& request, const char* name) {
  const std::size_t size = response_size(port, request);
  ASSERT_GT(size, 0u);

  constexpr int kConnections = 20;
  constexpr int kWarmUp = 200;     // per connection: pools, buffers and caches warm up
  constexpr int kMeasured = 5000;  // per connection: 100,000 requests in all, each connection
                                   // below limits.max_requests_per_connection
  int fds[kConnections];
  for (int& fd : fds) fd = connect_to(port);
  for (int i = 0; i < kWarmUp; ++i) {
    for (int fd : fds) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  }
  const std::uint64_t before = allocation_count();
  for (int i = 0; i < kMeasured; ++i) {
    for (int fd : fds) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  }
  const std::uint64_t allocations = allocation_count() - before;
  for (int fd : fds) ::close(fd);
  const double per_request = static_cast<double>(allocations) / (kConnections * kMeasured);
  ::testing::Test::RecordProperty("allocations_per_request", std::to_string(per_request));
  std::printf("%s: %llu allocations over %d keep-alive requests (%.4f per request)\n", name,
              static_cast<unsigned long long>(allocations), kConnections * kMeasured, per_request);
  EXPECT_EQ(allocations, 0u);
}

TEST_P(ZeroAllocation, KeepAliveRequestsAllocateNothingInSteadyState) {
  DefaultDaemon server;
  expect_no_allocations_serving(server.port(), get(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(DefaultRoutes, ZeroAllocation,
                         ::testing::Values("/plaintext", "/json", "/users/12345"),
                         [](const auto& test_info) {
                           std::string name = test_info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

// A compressed answer of a fixed route was prepared at start-up: serving it costs the
// negotiation, and no allocation.
class ZeroAllocationCompressed : public ::testing::TestWithParam<const char*> {};

TEST_P(ZeroAllocationCompressed, PreparedCompressedAnswersAllocateNothing) {
  std::string body;
  // Below the pooled 4 KiB output block with its head, so that identity is measured too.
  while (body.size() < 3000) body += "surge answers this text compressed, prepared once at start-up. ";
  DefaultDaemon server(R"({"compression": {"enabled": true}, "routes": [
    {"path": "/text", "handler": {"type": "text", "body": ")" + body + R"("}}]})");
  const std::string request = get("/text", std::string("Accept-Encoding: ") + GetParam() + "\r\n");
  const std::string name = std::string("/text ") + GetParam();
  expect_no_allocations_serving(server.port(), request, name.c_str());
}

INSTANTIATE_TEST_SUITE_P(Codings, ZeroAllocationCompressed, ::testing::Values("gzip", "br", "zstd", "identity"));

TEST(ZeroAllocationControl, TheCounterSeesAllocationsOnTheServerThreads) {
  // The same measurement against a handler that allocates must count them: the test above can
  // fail.
  TestServer server(test_config(), [](Context& ctx) { ctx.text(200, std::string(100, 'x') + "y"); });
  const std::string request = get("/");
  const std::size_t size = response_size(server.port(), request);
  int fd = connect_to(server.port());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  const std::uint64_t before = allocation_count();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  ::close(fd);
  EXPECT_GE(allocation_count() - before, 100u);
}

// A connection is a slab block and a registration in the worker's epoll set: no allocation. A
// few in all are tolerated (a pool growing once), never one per connection.
TEST(ZeroAllocationPerConnection, NewConnectionsAllocateNothing) {
  DefaultDaemon server;
  const std::uint16_t port = server.port();  // Server::port() copies the listeners' endpoints
  const std::string request = get("/plaintext");
  const std::size_t size = response_size(port, request);
  for (int i = 0; i < 200; ++i) {  // warm up
    int fd = connect_to(port);
    ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
    ::close(fd);
  }
  constexpr int kConnections = 500;
  const std::uint64_t before = allocation_count();
  for (int i = 0; i < kConnections; ++i) {
    int fd = connect_to(port);
    ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
    ::close(fd);
  }
  const std::uint64_t allocations = allocation_count() - before;
  std::printf("%llu allocations over %d connections of one request each (%.3f per connection)\n",
              static_cast<unsigned long long>(allocations), kConnections,
              static_cast<double>(allocations) / kConnections);
  EXPECT_LE(allocations, 5u);
}

// An upstream that allocates nothing while it serves: every request (counted by its empty line)
// gets one canned 200 with Content-Length, on as many keep-alive connections as come.
class CannedUpstream {
 public:
  CannedUpstream() {
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(addr);
    ::bind(listen_, reinterpret_cast<sockaddr*>(&addr), length);
    ::listen(listen_, 64);
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    fds_.reserve(64);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedUpstream() {
    stop_ = true;
    thread_.join();
    for (const pollfd& p : fds_) ::close(p.fd);
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    static const char kResponse[] = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";
    static char buffer[65536];
    fds_.push_back({listen_, POLLIN, 0});
    std::vector<int> matched(64, 0);  // per connection: bytes of "\r\n\r\n" seen so far
    while (!stop_) {
      if (::poll(fds_.data(), fds_.size(), 50) <= 0) continue;
      if (fds_[0].revents != 0 && fds_.size() < 64) {
        const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) fds_.push_back({fd, POLLIN, 0});
      }
      for (std::size_t i = 1; i < fds_.size(); ++i) {
        if (fds_[i].revents == 0 || fds_[i].fd < 0) continue;
        const ssize_t n = ::recv(fds_[i].fd, buffer, sizeof(buffer), 0);
        if (n <= 0) {
          ::close(fds_[i].fd);
          fds_[i].fd = -1;
          continue;
        }
        for (ssize_t b = 0; b < n; ++b) {
          const char want = "\r\n\r\n"[matched[i]];
          matched[i] = buffer[b] == want ? matched[i] + 1 : (buffer[b] == '\r' ? 1 : 0);
          if (matched[i] == 4) {
            matched[i] = 0;
            ::send(fds_[i].fd, kResponse, sizeof(kResponse) - 1, MSG_NOSIGNAL);
          }
        }
      }
    }
  }

  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::vector<pollfd> fds_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

// A proxied request on a warm worker: pooled upstream connection, pooled per-request state,
// head rewritten into pooled buffers. Nothing allocates, on either leg.
TEST(ZeroAllocationProxy, ProxiedKeepAliveRequestsAllocateNothingInSteadyState) {
  CannedUpstream upstream;
  detail::DaemonConfig daemon = detail::parse_config(
      R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:)" + std::to_string(upstream.port()) +
          R"("}], "keepalive": {"idle_timeout_ms": 600000, "max_requests": 0}}},
          "routes": [{"path": "/*path", "method": "*", "handler": {"type": "proxy", "upstream": "app"}}]})",
      "proxy");
  TestServer server(test_config(),
                    detail::build_router(daemon, "proxy", std::make_shared<detail::Readiness>(), nullptr));
  const std::string request = get("/plaintext");
  const std::size_t size = response_size(server.port(), request);
  ASSERT_GT(size, 0u);
  constexpr int kConnections = 20;
  constexpr int kWarmUp = 200;
  constexpr int kMeasured = 1000;
  int fds[kConnections];
  for (int& fd : fds) fd = connect_to(server.port());
  for (int i = 0; i < kWarmUp; ++i) {
    for (int fd : fds) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  }
  const std::uint64_t before = allocation_count();
  for (int i = 0; i < kMeasured; ++i) {
    for (int fd : fds) ASSERT_TRUE(round_trip(fd, request.data(), request.size(), size));
  }
  const std::uint64_t allocations = allocation_count() - before;
  for (int fd : fds) ::close(fd);
  std::printf("%llu allocations over %d proxied keep-alive requests\n", static_cast<unsigned long long>(allocations),
              kConnections * kMeasured);
  EXPECT_EQ(allocations, 0u);
}

}  // namespace
}  // namespace surge::test
