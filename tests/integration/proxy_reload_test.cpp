// SIGHUP reload of the real surged binary under proxy routes (issue 14): requests in flight on the
// old upstream finish with its whole answer while new requests go to the new one, and the old
// cluster's pooled connections are closed once nothing uses them (UpstreamPools::tick), whether
// they were lent during the reload or idle in the pool.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/raw_client.hpp"
#include "support/reloadable.hpp"
#include "support/scripted_upstream.hpp"

namespace surge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string pattern(std::size_t size, char seed) {
  std::string s(size, 'a');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>('a' + (i * 7 + i / 13 + seed) % 26);
  return s;
}

const std::string kHeldBody = pattern(100'000, 0);
const std::vector<std::string> kStreamPieces = {pattern(20'000, 1), pattern(30'000, 2),
                                                pattern(25'000, 3), pattern(40'000, 4)};

std::string chunk(const std::string& piece) {
  char size[16];
  std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
  return size + piece + "\r\n";
}

bool send_all(int fd, const std::string& bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

// Upstream A: raw sockets, answers held until the test releases them. GET /quick is answered at
// once; GET /held gets all of its answer after release(); GET /stream gets its head and first
// chunk at once and the other chunks after release(), one send each; GET /race is answered at once
// on a new connection, and on a reused one closed without an answer after release() (the
// keep-alive race). GETs only (no bodies).
class GatedUpstream {
 public:
  GatedUpstream() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe(stop_) != 0) {
      throw std::runtime_error("gated upstream: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~GatedUpstream() {
    stopping_ = true;
    release();
    ::write(stop_[1], "x", 1);
    acceptor_.join();
    for (std::thread& t : connections_)
      t.join();
    ::close(listen_fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }
  GatedUpstream(const GatedUpstream&) = delete;
  GatedUpstream& operator=(const GatedUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    gate_.notify_all();
  }
  int connections() const { return accepted_; }
  int requests() const { return requests_; }
  /// Connections surged closed (EOF or reset while A waited for a request).
  int closed_by_peer() const { return closed_by_peer_; }

 private:
  void accept_loop() {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (!stopping_) {
      if (::poll(fds, 2, 200) <= 0 || fds[1].revents != 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++accepted_;
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // The next request head into buffer; false when the peer closed (counted) or the test ends.
  bool read_head(int fd, std::string& buffer) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (buffer.find("\r\n\r\n") == std::string::npos) {
      if (::poll(fds, 2, 200) < 0 || fds[1].revents != 0) return false;
      if (fds[0].revents == 0) continue;
      char data[4096];
      const ssize_t n = ::recv(fd, data, sizeof(data), 0);
      if (n <= 0) {
        ++closed_by_peer_;
        return false;
      }
      buffer.append(data, static_cast<std::size_t>(n));
    }
    return true;
  }

  void wait_released() {
    std::unique_lock lock(mutex_);
    gate_.wait(lock, [this] { return released_; });
  }

  void serve(int fd) {
    std::string buffer;
    for (int index = 0; read_head(fd, buffer); ++index) {
      const std::size_t end = buffer.find("\r\n\r\n");
      const std::size_t space = buffer.find(' ');
      const std::string target = buffer.substr(space + 1, buffer.find(' ', space + 1) - space - 1);
      buffer.erase(0, end + 4);
      ++requests_;
      bool sent = true;
      if (target == "/quick" || (target == "/race" && index == 0)) {
        sent = send_all(fd, ok(target).bytes);
      } else if (target == "/race") {
        wait_released();
        break;
      } else if (target == "/held") {
        wait_released();
        sent = send_all(fd, ok(kHeldBody).bytes);
      } else if (target == "/stream") {
        sent = send_all(
            fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(kStreamPieces[0]));
        wait_released();
        for (std::size_t i = 1; sent && i < kStreamPieces.size(); ++i)
          sent = send_all(fd, chunk(kStreamPieces[i]));
        sent = sent && send_all(fd, "0\r\n\r\n");
      } else {
        sent = send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      }
      if (!sent || stopping_) break;
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor thread, then the destructor
  std::mutex mutex_;
  std::condition_variable gate_;
  bool released_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> closed_by_peer_{0};
};

bool wait_until(const std::function<bool()>& done, milliseconds timeout = milliseconds(10'000)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

nlohmann::json upstream(std::uint16_t port) {
  // An idle timeout far beyond the test: only the reload's retirement closes the old connections.
  return {{"servers", {{{"address", "127.0.0.1:" + std::to_string(port)}}}},
          {"keepalive", {{"idle_timeout_ms", 600'000}}}};
}

// One worker, every GET proxied to `route_to`, the upstreams given.
nlohmann::json proxy_config(nlohmann::json upstreams, const std::string& route_to) {
  return {{"listen", {"127.0.0.1:0"}},
          {"threads", 1},
          {"upstreams", std::move(upstreams)},
          {"routes",
           {{{"path", "/*path"},
             {"method", "GET"},
             {"handler", {{"type", "proxy"}, {"upstream", route_to}}}}}}};
}

// The decoded response in raw (Content-Length or chunked), once it is all there.
struct RawResponse {
  std::string status_line;
  std::string body;
};
std::optional<RawResponse> complete_response(const std::string& raw) {
  const std::size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  RawResponse r{raw.substr(0, raw.find("\r\n")), {}};
  const std::string head = raw.substr(0, head_end + 2);
  std::size_t at = head_end + 4;
  if (head.find("\r\nTransfer-Encoding: chunked\r\n") == std::string::npos) {
    const std::size_t field = head.find("\r\nContent-Length: ");
    if (field == std::string::npos) return std::nullopt;
    const std::size_t length = std::stoul(head.substr(field + 18));
    if (raw.size() < at + length) return std::nullopt;
    r.body = raw.substr(at, length);
    return r;
  }
  for (;;) {
    const std::size_t line = raw.find("\r\n", at);
    if (line == std::string::npos) return std::nullopt;
    const std::size_t size = std::stoul(raw.substr(at, line - at), nullptr, 16);
    if (raw.size() < line + 2 + size + 2) return std::nullopt;
    if (size == 0) return r;  // no trailers from surged
    r.body += raw.substr(line + 2, size);
    at = line + 2 + size + 2;
  }
}

// The value of one series ("name{labels}") in a scrape of the exporter, or nullopt.
std::optional<double> scraped(std::uint16_t metrics_port, const std::string& series) {
  auto scrape = fetch(metrics_port, get("/metrics"));
  if (!scrape || scrape->status != 200) return std::nullopt;
  const std::size_t at = scrape->body.find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  return std::stod(scrape->body.substr(at + series.size() + 2));
}

const std::string kActive = R"(surge_upstream_connections{state="active"})";
const std::string kIdle = R"(surge_upstream_connections{state="idle"})";

TEST(ProxyReload, RequestsInFlightOnTheOldUpstreamCompleteWhileNewOnesGoToTheNewOne) {
  GatedUpstream a;
  ScriptedUpstream b([](const UpstreamRequest& r) { return ok("B " + r.request_line()); });
  Reloadable surged(proxy_config({{"app", upstream(a.port())}}, "app"));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  const std::uint16_t metrics = surged.metrics_port();
  ASSERT_NE(metrics, 0) << surged.process().output();

  RawClient held(surged.port());
  RawClient streaming(surged.port());
  ASSERT_TRUE(held.send(get("/held")));
  ASSERT_TRUE(streaming.send(get("/stream")));
  // The streamed response has begun: its head and some of its first chunk reached the client.
  std::string streamed;
  ASSERT_TRUE(wait_until([&] {
    streamed += streaming.read_some(milliseconds(50));
    return streamed.find("\r\n\r\n") != std::string::npos &&
           streamed.size() > streamed.find("\r\n\r\n") + 4;
  })) << streamed;
  ASSERT_TRUE(wait_until([&] { return a.requests() == 2; }));

  // "app" is now B: the old cluster is retired, but two requests still use it.
  ASSERT_TRUE(surged.reload(proxy_config({{"app", upstream(b.port())}}, "app").dump()));
  ASSERT_NE(surged.process().output().find("configuration reloaded"), std::string::npos)
      << surged.process().output();
  for (int i = 0; i < 3; ++i) {
    auto fresh = fetch(surged.port(), get("/new/" + std::to_string(i)));
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 200);
    EXPECT_EQ(fresh->body, "B GET /new/" + std::to_string(i) + " HTTP/1.1");
  }
  EXPECT_EQ(a.requests(), 2);
  EXPECT_EQ(a.closed_by_peer(), 0) << "a connection lent to a request in flight was closed";

  a.release();
  auto r = held.read_response(10s);
  ASSERT_TRUE(r) << surged.process().output();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), kHeldBody.size());
  EXPECT_TRUE(r->body == kHeldBody);
  EXPECT_FALSE(r->closes());
  std::optional<RawResponse> s;
  ASSERT_TRUE(wait_until([&] {
    streamed += streaming.read_some(milliseconds(50));
    return (s = complete_response(streamed)).has_value();
  })) << streamed.size()
      << " bytes of the streamed response";
  EXPECT_EQ(s->status_line, "HTTP/1.1 200 OK");
  std::string expected;
  for (const std::string& piece : kStreamPieces)
    expected += piece;
  EXPECT_EQ(s->body.size(), expected.size());
  EXPECT_TRUE(s->body == expected);

  // The client connections go on, under the new configuration.
  ASSERT_TRUE(held.send(get("/after")));
  auto after = held.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "B GET /after HTTP/1.1");

  // Both A connections came back reusable; nothing names their cluster any more, so they close.
  EXPECT_TRUE(wait_until([&] { return a.closed_by_peer() == 2; }))
      << a.closed_by_peer() << " of 2 connections to the old upstream closed";
  EXPECT_EQ(a.connections(), 2);
  EXPECT_EQ(a.requests(), 2);
  EXPECT_TRUE(wait_until([&] {
    return scraped(metrics, kActive) == 0.0 && scraped(metrics, kIdle) == 1.0;
  })) << "active "
      << scraped(metrics, kActive).value_or(-1) << ", idle "
      << scraped(metrics, kIdle).value_or(-1);
  EXPECT_EQ(surged.process().output().find("AddressSanitizer"), std::string::npos)
      << surged.process().output();
}

TEST(ProxyReload, AnIdlePooledConnectionToTheOldUpstreamIsClosedByTheReload) {
  GatedUpstream a;
  ScriptedUpstream b([](const UpstreamRequest& r) { return ok("B " + r.request_line()); });
  Reloadable surged(proxy_config({{"a", upstream(a.port())}, {"b", upstream(b.port())}}, "a"));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  const std::uint16_t metrics = surged.metrics_port();
  ASSERT_NE(metrics, 0) << surged.process().output();

  auto quick = fetch(surged.port(), get("/quick"));
  ASSERT_TRUE(quick);
  EXPECT_EQ(quick->body, "/quick");
  ASSERT_TRUE(wait_until([&] { return scraped(metrics, kIdle) == 1.0; }))
      << "the connection to A is not pooled";
  EXPECT_EQ(a.connections(), 1);
  EXPECT_EQ(a.closed_by_peer(), 0);

  // The route now names "b" and "a" is gone from the file.
  ASSERT_TRUE(surged.reload(proxy_config({{"b", upstream(b.port())}}, "b").dump()));
  ASSERT_NE(surged.process().output().find("configuration reloaded"), std::string::npos)
      << surged.process().output();
  EXPECT_TRUE(wait_until([&] { return a.closed_by_peer() == 1; }))
      << "the idle connection to the retired upstream stays open";
  auto fresh = fetch(surged.port(), get("/new"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->status, 200);
  EXPECT_EQ(fresh->body, "B GET /new HTTP/1.1");
  EXPECT_EQ(a.requests(), 1);
  EXPECT_TRUE(wait_until([&] {
    return scraped(metrics, kActive) == 0.0 && scraped(metrics, kIdle) == 1.0;
  })) << "active "
      << scraped(metrics, kActive).value_or(-1) << ", idle "
      << scraped(metrics, kIdle).value_or(-1);
}

// The request in flight meets the keep-alive race on the old upstream after the reload: it is
// sent again on a new connection of the retired cluster's pool, which then drains as well.
TEST(ProxyReload, ARequestInFlightOnTheOldUpstreamIsRetriedInTheRetiredPool) {
  GatedUpstream a;
  ScriptedUpstream b([](const UpstreamRequest& r) { return ok("B " + r.request_line()); });
  Reloadable surged(proxy_config({{"app", upstream(a.port())}}, "app"));
  ASSERT_NE(surged.port(), 0) << surged.process().output();
  RawClient client(surged.port());
  ASSERT_TRUE(client.send(get("/race")));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "/race");
  ASSERT_TRUE(client.send(get("/race")));  // on the pooled connection, where A holds it
  ASSERT_TRUE(wait_until([&] { return a.requests() == 2; }));

  ASSERT_TRUE(surged.reload(proxy_config({{"app", upstream(b.port())}}, "app").dump()));
  ASSERT_NE(surged.process().output().find("configuration reloaded"), std::string::npos)
      << surged.process().output();
  auto fresh = fetch(surged.port(), get("/new"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->body, "B GET /new HTTP/1.1");

  a.release();  // A closes the reused connection instead of answering
  auto r = client.read_response(10s);
  ASSERT_TRUE(r) << surged.process().output();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "/race");
  EXPECT_EQ(a.connections(), 2);
  EXPECT_EQ(a.requests(), 3);
  // The retry's connection came back reusable to the retired pool, which closes it.
  EXPECT_TRUE(wait_until([&] { return a.closed_by_peer() == 1; }))
      << "the retried connection stays open";
  ASSERT_TRUE(client.send(get("/after")));
  auto after = client.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "B GET /after HTTP/1.1");
}

}  // namespace
}  // namespace surge::test
