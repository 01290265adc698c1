// Mixed abuse against one worker of the real surged binary (issue 12, item 1): slowloris
// connections whose header timeouts fire together, pipeliners that never read, clients that send
// half a request and reset, and random garbage, all at once, while one well-behaved client keeps
// getting 200 on every request. The server must stay up and exit cleanly afterwards. Bounded in
// time and connections, loopback only. Label "stress"; CI runs it on the sanitizer build and on an
// optimised (Release, LTO) build, where the bug it guards against showed.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/raw_client.hpp"

namespace surge::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kDuration{15'000};
constexpr int kSlowloris = 1000;
constexpr int kPipeliners = 200;
constexpr int kResetsPerSecond = 100;
constexpr int kGarbagePerSecond = 100;

// A non-blocking connection to 127.0.0.1:port, or -1.
int open_socket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed (or reset) the connection; drains what it sent.
bool server_closed(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
}

bool send_some(int fd, std::string_view bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN;
}

void reset(int fd) {
  linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  ::close(fd);
}

// Partial headers, a byte every 100 ms; reopened when the server cuts them off. Opened together,
// their header timeouts fire in the same ticks.
void slowloris(std::uint16_t port, const std::atomic<bool>& stop, std::atomic<int>& reopened) {
  std::vector<int> fds(kSlowloris, -1);
  while (!stop) {
    for (int& fd : fds) {
      if (fd >= 0 && server_closed(fd)) {
        ::close(fd);
        fd = -1;
        ++reopened;
      }
      if (fd < 0) {
        fd = open_socket(port);
        if (fd >= 0) send_some(fd, "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Slow: ");
        continue;
      }
      if (!send_some(fd, "a")) {
        ::close(fd);
        fd = -1;
      }
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

// 64 pipelined GETs a second per connection, never reading a response.
void pipeliners(std::uint16_t port, const std::atomic<bool>& stop) {
  std::string burst;
  for (int i = 0; i < 64; ++i) burst += get("/plaintext");
  std::vector<int> fds(kPipeliners, -1);
  while (!stop) {
    for (int& fd : fds) {
      if (fd < 0) fd = open_socket(port);
      if (fd >= 0 && !send_some(fd, burst)) {
        ::close(fd);
        fd = -1;
      }
    }
    std::this_thread::sleep_for(milliseconds(1000));
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

// Half a request, then a reset; and 4 KiB of random bytes, then a close.
void resets_and_garbage(std::uint16_t port, const std::atomic<bool>& stop) {
  std::mt19937 random(12);
  std::string garbage(4096, '\0');
  const int per_tick = (kResetsPerSecond + kGarbagePerSecond) / 20;
  while (!stop) {
    for (int i = 0; i < per_tick; ++i) {
      const int fd = open_socket(port);
      if (fd < 0) continue;
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 100);  // connected (or refused)
      if (i % 2 == 0) {
        send_some(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf");
        reset(fd);
      } else {
        for (char& c : garbage) c = static_cast<char>(random());
        send_some(fd, garbage);
        ::close(fd);
      }
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

TEST(AbuseMix, OneWorkerSurvivesMixedAbuseAndAGoodClientIsAlwaysServed) {
  rlimit files{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
  if (files.rlim_cur < 4096 && files.rlim_max > files.rlim_cur) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 4096);
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur < kSlowloris + kPipeliners + 256) GTEST_SKIP() << "too few file descriptors";
  TempDir dir;
  const std::string config = dir.write("surge.json", R"({
    "listen": ["127.0.0.1:0"],
    "threads": 1,
    "timeouts": {"header_ms": 500, "body_ms": 500, "idle_ms": 2000, "write_ms": 500, "linger_ms": 200}
  })");
  DaemonProcess daemon({"--config", config});
  const std::optional<std::uint16_t> port = daemon.wait_listening();
  ASSERT_TRUE(port) << daemon.output();

  std::atomic<bool> stop{false};
  std::atomic<int> slowloris_cut{0};
  std::vector<std::thread> abusers;
  abusers.emplace_back(slowloris, *port, std::cref(stop), std::ref(slowloris_cut));
  abusers.emplace_back(pipeliners, *port, std::cref(stop));
  abusers.emplace_back(resets_and_garbage, *port, std::cref(stop));

  int served = 0;
  int failed = 0;
  std::string first_failure;
  std::unique_ptr<RawClient> client;
  const auto end = Clock::now() + kDuration;
  while (Clock::now() < end && failed < 20) {
    std::optional<HttpResponse> r;
    try {
      if (client == nullptr) client = std::make_unique<RawClient>(*port);
      if (client->send(get("/plaintext"))) r = client->read_response(5s);
    } catch (const std::exception& e) {  // cannot connect: the server is gone
      if (first_failure.empty()) first_failure = e.what();
    }
    if (r && r->status == 200 && r->body == "Hello, World!") {
      ++served;
    } else {
      ++failed;
      if (first_failure.empty()) first_failure = r ? std::to_string(r->status) + " " + r->body : "no response";
    }
    if (!r || r->closes() || (client != nullptr && client->peer_closed())) client.reset();
    std::this_thread::sleep_for(milliseconds(10));
  }
  stop = true;
  for (std::thread& t : abusers) t.join();

  EXPECT_EQ(failed, 0) << "first failure: " << first_failure;
  EXPECT_GT(served, 100);
  EXPECT_GT(slowloris_cut.load(), kSlowloris) << "the header timeouts did not fire";
  EXPECT_FALSE(daemon.wait_exit(milliseconds(0))) << "surged died:\n" << daemon.output();
  daemon.signal(SIGTERM);
  const std::optional<int> code = daemon.wait_exit(30s);
  EXPECT_EQ(code, 0) << daemon.output();
  EXPECT_EQ(daemon.output().find("AddressSanitizer"), std::string::npos) << daemon.output();
}

}  // namespace
}  // namespace surge::test
