#include "upstream/health_checker.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "support/captured_log.hpp"
#include "support/refusing_port.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

// Looks every millisecond, for at most 10 s, whether done() holds yet; the test asserts the result.
bool eventually(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::string answer(int status) {
  return "HTTP/1.1 " + std::to_string(status) +
         " Whatever\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

int listen_on_loopback(int flags, std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port = ntohs(address.sin_port);
  return fd;
}

// An HTTP server on 127.0.0.1, one connection at a time: reads a request head, sends the answer
// and closes. Held, it answers only as many requests as allow() let through, so a test moves the
// checker on one check at a time (the checker has at most one in flight per host).
class CheckedServer {
 public:
  explicit CheckedServer(std::string answer, bool held = false)
      : answer_(std::move(answer)), held_(held) {
    listen_fd_ = listen_on_loopback(0, port_);
    if (::pipe(stop_) != 0) throw std::runtime_error("pipe");
    thread_ = std::thread([this] { serve(); });
  }
  ~CheckedServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    [[maybe_unused]] const ssize_t n = ::write(stop_[1], "x", 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
  }
  CheckedServer(const CheckedServer&) = delete;
  CheckedServer& operator=(const CheckedServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_answer(std::string answer) {
    std::lock_guard lock(mutex_);
    answer_ = std::move(answer);
  }
  void allow(int answers) {
    {
      std::lock_guard lock(mutex_);
      permits_ += answers;
    }
    changed_.notify_all();
  }
  std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void serve() {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (::poll(fds, 2, -1) >= 0 && fds[1].revents == 0) {
      if ((fds[0].revents & POLLIN) == 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      respond(fd);
      ::close(fd);
    }
  }
  void respond(int fd) {
    std::string head;
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) return;
      char data[1024];
      const ssize_t n = ::recv(fd, data, sizeof(data), 0);
      if (n <= 0) return;
      head.append(data, static_cast<std::size_t>(n));
    }
    std::string reply;
    {
      std::unique_lock lock(mutex_);
      last_request_ = head;
      changed_.wait(lock, [this] { return stopping_ || !held_ || permits_ > 0; });
      if (stopping_) return;
      if (held_) --permits_;
      reply = answer_;
    }
    [[maybe_unused]] const ssize_t n = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  }

  std::string answer_;
  bool held_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int permits_ = 0;
  bool stopping_ = false;
  std::string last_request_;
  std::thread thread_;
};

// Listens and never accepts: connects complete (the kernel's backlog takes them) and no answer
// ever comes. The test reads its queue without answering.
class SilentPort {
 public:
  SilentPort() : fd_(listen_on_loopback(SOCK_NONBLOCK, port_)) {}
  ~SilentPort() { ::close(fd_); }
  SilentPort(const SilentPort&) = delete;
  SilentPort& operator=(const SilentPort&) = delete;
  std::uint16_t port() const { return port_; }
  // Whether a connection waits in the queue (it stays there).
  bool pending() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  // Accepts and closes what is queued; how many there were.
  int drain() {
    int count = 0;
    for (int fd; (fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++count)
      ::close(fd);
    return count;
  }

 private:
  std::uint16_t port_ = 0;
  int fd_;
};

UpstreamHealthCheck fast_check() {
  UpstreamHealthCheck check;
  check.enabled = true;
  check.interval = 20ms;
  check.jitter = 10ms;
  check.timeout = 10s;  // long: held answers must not time out meanwhile
  check.healthy_threshold = 2;
  check.unhealthy_threshold = 3;
  return check;
}

std::shared_ptr<Cluster> cluster_of(const std::vector<std::uint16_t>& ports,
                                    const UpstreamHealthCheck& check,
                                    const std::string& name = "app") {
  UpstreamConfig config;
  config.name = name;
  for (std::uint16_t port : ports)
    config.servers.push_back({"127.0.0.1:" + std::to_string(port), 1});
  config.health_check = check;
  return std::make_shared<Cluster>(config);
}

HostHealth& health_of(const std::shared_ptr<Cluster>& cluster, std::size_t host = 0) {
  return cluster->hosts()[host]->health();
}

// Each answer is released by hand, so the verdict is read after every single check.
TEST(HealthChecker, GoesDownAfterUnhealthyThresholdFailuresNotBefore) {
  CheckedServer server(answer(500), true);
  const auto cluster = cluster_of({server.port()}, fast_check());
  HostHealth& health = health_of(cluster);
  HealthChecker checker(nullptr);
  checker.add(cluster);
  for (std::uint64_t n = 1; n <= 3; ++n) {
    EXPECT_FALSE(health.active_down()) << "after " << n - 1 << " failures";
    server.allow(1);
    ASSERT_TRUE(eventually([&] { return checker.checks_done() >= n; }));
  }
  EXPECT_TRUE(health.active_down());
  EXPECT_EQ(health.checks_total(), 3u);
  EXPECT_EQ(health.check_failures_total(), 3u);
  EXPECT_EQ(health.back_since(), 0);
}

TEST(HealthChecker, APassBreaksARunOfFailures) {
  CheckedServer server(answer(500), true);
  const auto cluster = cluster_of({server.port()}, fast_check());
  HostHealth& health = health_of(cluster);
  HealthChecker checker(nullptr);
  checker.add(cluster);
  const int statuses[] = {500, 500, 200, 500, 500};
  for (std::uint64_t n = 1; n <= std::size(statuses); ++n) {
    server.set_answer(answer(statuses[n - 1]));
    server.allow(1);
    ASSERT_TRUE(eventually([&] { return checker.checks_done() >= n; }));
    EXPECT_FALSE(health.active_down()) << "after check " << n;
  }
  server.set_answer(answer(500));
  server.allow(1);
  ASSERT_TRUE(eventually([&] { return checker.checks_done() >= 6; }));
  EXPECT_TRUE(health.active_down());
}

TEST(HealthChecker, ComesBackAfterHealthyThresholdPassesAndLogsBoth) {
  test::CapturedLog log;
  CheckedServer server(answer(500), true);
  UpstreamHealthCheck check = fast_check();
  check.unhealthy_threshold = 1;
  const auto cluster = cluster_of({server.port()}, check);
  HostHealth& health = health_of(cluster);
  {
    HealthChecker checker(log.log);
    checker.add(cluster);
    server.allow(1);
    ASSERT_TRUE(eventually([&] { return checker.checks_done() >= 1; }));
    ASSERT_TRUE(health.active_down());
    server.set_answer(answer(200));
    server.allow(1);
    ASSERT_TRUE(eventually([&] { return checker.checks_done() >= 2; }));
    EXPECT_TRUE(health.active_down()) << "one pass of two";
    EXPECT_EQ(health.back_since(), 0);
    server.allow(1);
    ASSERT_TRUE(eventually([&] { return checker.checks_done() >= 3; }));
    EXPECT_FALSE(health.active_down());
    EXPECT_GT(health.back_since(), 0);
    EXPECT_EQ(health.check_failures_total(), 1u);
  }
  const std::string text = log.text();
  EXPECT_NE(text.find("warning upstream \"app\" " + server.address() +
                      ": health check failed 1 times (status 500); out of rotation\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("info upstream \"app\" " + server.address() +
                      ": health check passed 2 times; back in rotation\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(log.lines(), 2u);
}

TEST(HealthChecker, HostsStartUpBeforeTheirFirstCheckEnds) {
  CheckedServer server(answer(500), true);  // never answers: no check ends
  const auto cluster = cluster_of({server.port()}, fast_check());
  HealthChecker checker(nullptr);
  checker.add(cluster);
  ASSERT_TRUE(eventually([&] { return !server.last_request().empty(); }));
  EXPECT_FALSE(health_of(cluster).active_down());
  EXPECT_EQ(checker.checks_done(), 0u);
}

TEST(HealthChecker, SendsTheConfiguredRequest) {
  CheckedServer by_address(answer(200));
  CheckedServer by_name(answer(200));
  UpstreamHealthCheck check = fast_check();
  check.path = "/ready?deep=1";
  const auto first = cluster_of({by_address.port()}, check, "first");
  check.host = "app.internal";
  const auto second = cluster_of({by_name.port()}, check, "second");
  HealthChecker checker(nullptr);
  checker.add(first);
  checker.add(second);
  ASSERT_TRUE(eventually(
      [&] { return !by_address.last_request().empty() && !by_name.last_request().empty(); }));
  EXPECT_EQ(by_address.last_request(),
            "GET /ready?deep=1 HTTP/1.1\r\nHost: " + by_address.address() +
                "\r\nUser-Agent: surge-health-check\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(by_name.last_request(),
            "GET /ready?deep=1 HTTP/1.1\r\nHost: app.internal\r\nUser-Agent: surge-health-check\r\n"
            "Connection: close\r\n\r\n");
}

TEST(HealthChecker, ATimeoutIsAFailure) {
  test::CapturedLog log;
  SilentPort silent;
  UpstreamHealthCheck check = fast_check();
  check.timeout = 30ms;
  check.unhealthy_threshold = 2;
  const auto cluster = cluster_of({silent.port()}, check);
  HostHealth& health = health_of(cluster);
  {
    HealthChecker checker(log.log);
    checker.add(cluster);
    ASSERT_TRUE(eventually([&] { return health.active_down(); }));
  }
  EXPECT_GE(health.check_failures_total(), 2u);  // read once the thread is gone: all counted
  EXPECT_NE(log.text().find("failed 2 times (timed out); out of rotation"), std::string::npos)
      << log.text();
}

TEST(HealthChecker, ARefusedConnectIsAFailure) {
  test::CapturedLog log;
  test::RefusingPort refusing;
  UpstreamHealthCheck check = fast_check();
  check.unhealthy_threshold = 1;
  const auto cluster = cluster_of({refusing.port()}, check);
  {
    HealthChecker checker(log.log);
    checker.add(cluster);
    ASSERT_TRUE(eventually([&] { return health_of(cluster).active_down(); }));
  }
  EXPECT_NE(log.text().find("(connection refused); out of rotation"), std::string::npos)
      << log.text();
}

TEST(HealthChecker, AHostWithoutAddressesFails) {
  CheckedServer server(answer(200));
  UpstreamHealthCheck check = fast_check();
  check.unhealthy_threshold = 1;
  const auto cluster = cluster_of({server.port()}, check);
  cluster->hosts()[0]->set_addresses(std::make_shared<const std::vector<HostAddress>>());
  HealthChecker checker(nullptr);
  checker.add(cluster);
  ASSERT_TRUE(eventually([&] { return health_of(cluster).active_down(); }));
  EXPECT_TRUE(server.last_request().empty());
}

TEST(HealthChecker, ExpectedStatusesAreRanges) {
  CheckedServer no_content(answer(204));
  CheckedServer ok(answer(200));
  CheckedServer redirect(answer(302));
  UpstreamHealthCheck check = fast_check();
  check.unhealthy_threshold = 1;
  check.expected_statuses = {{200, 200}, {204, 206}};
  const auto cluster = cluster_of({no_content.port(), ok.port(), redirect.port()}, check);
  HealthChecker checker(nullptr);
  checker.add(cluster);
  ASSERT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < 3; ++i) {
      if (health_of(cluster, i).checks_total() < 3) return false;
    }
    return true;
  }));
  EXPECT_EQ(health_of(cluster, 0).check_failures_total(), 0u);
  EXPECT_FALSE(health_of(cluster, 0).active_down());
  EXPECT_EQ(health_of(cluster, 1).check_failures_total(), 0u);
  EXPECT_FALSE(health_of(cluster, 1).active_down());
  ASSERT_TRUE(eventually([&] { return health_of(cluster, 2).active_down(); }));
}

TEST(HealthChecker, AMalformedOrEndlessStatusLineIsAFailure) {
  test::CapturedLog log;
  CheckedServer not_http("SSH-2.0-OpenSSH_9.2\r\n");
  CheckedServer endless(std::string(4096, 'x'));
  CheckedServer short_line("HTTP/1.1 20\r\n\r\n");
  UpstreamHealthCheck check = fast_check();
  check.unhealthy_threshold = 1;
  const auto cluster = cluster_of({not_http.port(), endless.port(), short_line.port()}, check);
  {
    HealthChecker checker(log.log);
    checker.add(cluster);
    ASSERT_TRUE(eventually([&] {
      return health_of(cluster, 0).active_down() && health_of(cluster, 1).active_down() &&
             health_of(cluster, 2).active_down();
    }));
  }
  EXPECT_NE(
      log.text().find(not_http.address() + ": health check failed 1 times (malformed status line)"),
      std::string::npos)
      << log.text();
  EXPECT_NE(
      log.text().find(endless.address() + ": health check failed 1 times (malformed status line)"),
      std::string::npos)
      << log.text();
}

TEST(HealthChecker, TcpCheckPassesWhenTheConnectCompletes) {
  SilentPort silent;  // would time out an HTTP check: it never answers
  test::RefusingPort refusing;
  UpstreamHealthCheck check = fast_check();
  check.tcp = true;
  check.unhealthy_threshold = 1;
  const auto cluster = cluster_of({silent.port(), refusing.port()}, check);
  HealthChecker checker(nullptr);
  checker.add(cluster);
  ASSERT_TRUE(eventually([&] { return health_of(cluster, 0).checks_total() >= 3; }));
  EXPECT_EQ(health_of(cluster, 0).check_failures_total(), 0u);
  EXPECT_FALSE(health_of(cluster, 0).active_down());
  ASSERT_TRUE(eventually([&] { return health_of(cluster, 1).active_down(); }));
}

TEST(HealthChecker, ASlowHostDoesNotDelayTheOthers) {
  SilentPort silent;  // its check stays in flight for the whole test
  CheckedServer server(answer(200));
  const auto cluster = cluster_of({silent.port(), server.port()}, fast_check());
  HealthChecker checker(nullptr);
  checker.add(cluster);
  ASSERT_TRUE(eventually([&] { return health_of(cluster, 1).checks_total() >= 5; }));
  EXPECT_EQ(health_of(cluster, 0).checks_total(), 0u);
}

TEST(HealthChecker, AClusterWithTheCheckOffIsNotChecked) {
  CheckedServer checked(answer(200));
  CheckedServer unchecked(answer(200));
  UpstreamHealthCheck off = fast_check();
  off.enabled = false;
  const auto on_cluster = cluster_of({checked.port()}, fast_check(), "on");
  const auto off_cluster = cluster_of({unchecked.port()}, off, "off");
  HealthChecker checker(nullptr);
  checker.add(off_cluster);
  checker.add(on_cluster);
  ASSERT_TRUE(eventually([&] { return health_of(on_cluster).checks_total() >= 3; }));
  EXPECT_EQ(health_of(off_cluster).checks_total(), 0u);
  EXPECT_TRUE(unchecked.last_request().empty());
}

// A reload's old cluster: once no one holds it, its host gets no more connections. The other
// cluster's checks show the checker's rounds go on meanwhile.
TEST(HealthChecker, StopsCheckingAClusterNoOneHolds) {
  SilentPort silent;
  CheckedServer server(answer(200));
  UpstreamHealthCheck tcp = fast_check();
  tcp.tcp = true;
  auto dropped = cluster_of({silent.port()}, tcp, "old");
  const auto kept = cluster_of({server.port()}, fast_check(), "kept");
  HostHealth& kept_health = health_of(kept);
  HealthChecker checker(nullptr);
  checker.add(dropped);
  checker.add(kept);
  int connections = 0;
  ASSERT_TRUE(eventually([&] { return (connections += silent.drain()) > 0; }));
  const std::weak_ptr<Cluster> weak = dropped;
  dropped.reset();
  ASSERT_TRUE(eventually([&] { return weak.expired(); }));  // held weakly (locked only in a round)
  // Two checks of the kept cluster end in two rounds begun after the drop: the old one is gone.
  const std::uint64_t before = kept_health.checks_total();
  ASSERT_TRUE(eventually([&] { return kept_health.checks_total() >= before + 3; }));
  silent.drain();
  ASSERT_TRUE(eventually([&] { return kept_health.checks_total() >= before + 8; }));
  EXPECT_EQ(silent.drain(), 0);
}

TEST(HealthChecker, DestructorStopsPromptlyWithACheckInFlight) {
  SilentPort silent;
  UpstreamHealthCheck check = fast_check();
  check.interval = 60s;
  check.timeout = 60s;
  check.jitter = 0ms;
  const auto cluster = cluster_of({silent.port()}, check);
  auto checker = std::make_unique<HealthChecker>(nullptr);
  checker->add(cluster);
  ASSERT_TRUE(eventually([&] { return silent.pending(); }));  // connected; waiting for the answer
  auto destroyed = std::async(std::launch::async, [&] { checker.reset(); });
  // Far below the check's timeout: the thread was woken, not waited out.
  ASSERT_EQ(destroyed.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(health_of(cluster).checks_total(), 0u);  // the check in flight was dropped, not failed
}

}  // namespace
}  // namespace surge::detail
