#include "server/http1_session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include <boost/asio/post.hpp>
#include <spdlog/logger.h>

#include <surge/context.hpp>

#include "http/application.hpp"
#include "server/worker.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

// The worker's loop reads this instead of the steady clock: the test moves time by hand.
class ManualClock final : public LoopClock {
 public:
  Clock::time_point now() const override { return Clock::time_point(Clock::duration(ticks_.load())); }
  void advance(Clock::duration d) { ticks_ += d.count(); }

 private:
  std::atomic<Clock::rep> ticks_{Clock::now().time_since_epoch().count()};
};

// Answers every request with its path.
class PathApp final : public Application {
 public:
  RequestError on_header(Exchange&) const override { return RequestError::kNone; }
  void handle(Exchange& exchange) const override {
    exchange.context().text(200, exchange.context().request().path());
  }
};

// One worker on its own thread with a manual clock, and a session on one end of a socket pair;
// the test plays the client on the other end.
class Http1SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.timeouts.header = 10s;
    config_.timeouts.idle = 60s;
    config_.timeouts.body = 30s;
    config_.pools.release_idle_after = 40ms;  // a 10 ms tick: moved time is seen at once
    worker_ = std::make_unique<Worker>(0, config_, std::make_shared<PathApp>(),
                                       std::vector<std::shared_ptr<RequestObserver>>{},
                                       std::make_shared<spdlog::logger>("test"), &clock_);
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ASSERT_EQ(::fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
    client_ = fds[1];
    boost::asio::post(worker_->io(), [this, fd = fds[0]] {
      Http1Session* session = worker_->new_session();
      boost::system::error_code ec;
      session->adopt(fd, ec);
      ASSERT_FALSE(ec);
      session->start({boost::asio::ip::make_address("127.0.0.1"), 40000});
    });
    thread_ = std::thread([this] { worker_->run(); });
  }
  void TearDown() override {
    worker_->post_force_close();
    thread_.join();
    ::close(client_);
  }

  void send(std::string_view bytes) { ASSERT_EQ(::write(client_, bytes.data(), bytes.size()), ssize_t(bytes.size())); }
  // What the session sends within 5 s, up to `until` (or its close).
  std::string receive(std::string_view until = "\r\n\r\n", std::chrono::milliseconds wait = 5s) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (got.find(until) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{client_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(client_, buffer, sizeof(buffer));
      if (n <= 0) {
        closed_ = true;
        break;
      }
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

  ServerConfig config_;
  ManualClock clock_;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
  int client_ = -1;
  bool closed_ = false;
};

TEST_F(Http1SessionTest, ServesPipelinedRequestsInOrderOnOneConnection) {
  send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string got = receive("/b");
  EXPECT_LT(got.find("\r\n\r\n/a"), got.find("\r\n\r\n/b")) << got;
  send("GET /c HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_NE(receive("/c").find("200 OK"), std::string::npos);
}

// No sleeping through the timeout: the clock moves, the next tick sees it.
TEST_F(Http1SessionTest, AHeaderNotCompleteWhenTheClockPassesItsTimeoutGets408) {
  send("GET /slow HTTP/1.1\r\nHost: t\r\n");
  EXPECT_EQ(receive("\r\n\r\n", 200ms), "");  // nothing happens while time stands still
  clock_.advance(11s);
  const std::string got = receive("\r\n\r\n");
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  receive("never");
  EXPECT_TRUE(closed_);
}

TEST_F(Http1SessionTest, AnIdleConnectionClosesWhenTheClockPassesTheIdleTimeout) {
  send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_NE(receive("/a").find("200 OK"), std::string::npos);
  clock_.advance(30s);
  send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");  // still open: served
  EXPECT_NE(receive("/b").find("200 OK"), std::string::npos);
  clock_.advance(61s);
  EXPECT_EQ(receive("never"), "");
  EXPECT_TRUE(closed_);
}

TEST_F(Http1SessionTest, ABodyArrivingBelowTheMinimumRateGets408) {
  send("POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nx");
  EXPECT_EQ(receive("\r\n\r\n", 200ms), "");
  clock_.advance(6s);  // past the 5 s grace: one byte in 6 s is far below 240 B/s
  send("y");
  const std::string got = receive();
  EXPECT_EQ(got.substr(0, 12), "HTTP/1.1 408") << got;
  EXPECT_NE(got.find("body_min_bytes_per_s"), std::string::npos);
}

}  // namespace
}  // namespace surge::detail
