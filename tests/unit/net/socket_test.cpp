#include "net/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace surge::detail {
namespace {

struct Events final : PollTarget {
  void on_events(std::uint32_t e) override { seen.push_back(e); }
  std::vector<std::uint32_t> seen;
};

// A socket pair: [0] goes into the Socket under test, [1] plays the peer (blocking).
class SocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    ASSERT_EQ(::fcntl(fds_[0], F_SETFL, O_NONBLOCK), 0);
  }
  void TearDown() override { ::close(fds_[1]); }
  int peer() const { return fds_[1]; }

  boost::asio::io_context io_;
  EventPoller poller_{io_};
  Events owner_;
  int fds_[2] = {-1, -1};
};

TEST_F(SocketTest, ReadsWhatArrivedAndThenWaitsForAnEdgeWithoutASystemCall) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  char buffer[64];
  // Nothing said it is readable yet: no read is tried.
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).status, IoStatus::kWouldBlock);
  ASSERT_EQ(::write(peer(), "hello", 5), 5);
  socket.note(EPOLLIN);
  IoResult r = socket.receive(buffer, sizeof(buffer));
  ASSERT_EQ(r.status, IoStatus::kDone);
  EXPECT_EQ(std::string(buffer, r.bytes), "hello");
  // A short read drained the socket: more data now would need the next edge to be read.
  EXPECT_FALSE(socket.readable());
  ASSERT_EQ(::write(peer(), "more", 4), 4);
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).status, IoStatus::kWouldBlock);
  socket.assume_readable();
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).bytes, 4u);
}

TEST_F(SocketTest, AReadThatFillsTheRoomKeepsReading) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  ASSERT_EQ(::write(peer(), "0123456789", 10), 10);
  socket.note(EPOLLIN);
  char buffer[4];
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).bytes, 4u);
  EXPECT_TRUE(socket.readable());
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).bytes, 4u);
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).bytes, 2u);
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).status, IoStatus::kWouldBlock);
}

// The FIN is queued behind the data: no edge will announce it after the data is read, so the
// half-close event keeps the socket readable until the end is seen.
TEST_F(SocketTest, AHalfCloseBehindDataIsReadToTheEnd) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  ASSERT_EQ(::write(peer(), "last", 4), 4);
  ::shutdown(peer(), SHUT_WR);
  socket.note(EPOLLIN | EPOLLRDHUP);
  EXPECT_TRUE(socket.end_pending());
  char buffer[64];
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).bytes, 4u);
  EXPECT_EQ(socket.receive(buffer, sizeof(buffer)).status, IoStatus::kEnd);
}

TEST_F(SocketTest, SendsUntilTheKernelTakesNoMoreAndThenWatchesOutput) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  const std::string block(64 * 1024, 'x');
  std::size_t sent = 0;
  IoResult r;
  while ((r = socket.send(block.data(), block.size())).status == IoStatus::kDone) sent += r.bytes;
  EXPECT_EQ(r.status, IoStatus::kWouldBlock);
  EXPECT_GT(sent, 0u);
  EXPECT_FALSE(socket.output_watched());
  EXPECT_FALSE(socket.watch_output());
  EXPECT_TRUE(socket.output_watched());
  iovec parts[2] = {{const_cast<char*>("a"), 1}, {const_cast<char*>("b"), 1}};
  EXPECT_EQ(socket.writev(parts, 2).status, IoStatus::kWouldBlock);
}

TEST_F(SocketTest, ReportsThePeersResetAsAnError) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  ::close(fds_[1]);
  fds_[1] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // keeps TearDown's close harmless
  IoResult r = socket.send("x", 1);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.error, EPIPE);
}

TEST_F(SocketTest, SendsAFileWithSendfileAndSaysWhenItIsShorterThanAnnounced) {
  Socket socket;
  ASSERT_FALSE(socket.open(fds_[0], poller_, owner_));
  char path[] = "/tmp/surge-socket-test-XXXXXX";
  const int file = ::mkstemp(path);
  ASSERT_GE(file, 0);
  ::unlink(path);
  ASSERT_EQ(::write(file, "file-body", 9), 9);
  std::uint64_t offset = 5;
  IoResult r = socket.send_file(file, offset, 100);
  EXPECT_EQ(r.bytes, 4u);
  EXPECT_EQ(offset, 9u);
  EXPECT_EQ(socket.send_file(file, offset, 91).status, IoStatus::kEnd);
  ::close(file);
  char buffer[16];
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(::read(peer(), buffer, sizeof(buffer)))), "body");
}

// A listening socket on loopback: the connect completes, and its output edge is delivered.
TEST(SocketConnect, ConnectsWithoutBlockingAndSaysHowItEnded) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);

  boost::asio::io_context io;
  auto keep_running = boost::asio::make_work_guard(io);  // the loop runs until the event comes
  EventPoller poller(io);
  struct Connected final : PollTarget {
    boost::asio::io_context* io = nullptr;
    std::uint32_t events = 0;
    void on_events(std::uint32_t e) override {
      events = e;
      io->stop();
    }
  } owner;
  owner.io = &io;
  Socket socket;
  ASSERT_FALSE(socket.connect(reinterpret_cast<sockaddr*>(&address), length, poller, owner));
  poller.run();
  EXPECT_NE(owner.events & EPOLLOUT, 0u);
  EXPECT_FALSE(socket.finish_connect());
  const int accepted = ::accept(listener, nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  ::close(accepted);

  // Nothing listens there any more: the connect fails, and finish_connect() says so.
  ::close(listener);
  io.restart();
  owner.events = 0;
  ASSERT_FALSE(socket.connect(reinterpret_cast<sockaddr*>(&address), length, poller, owner));
  poller.run();
  EXPECT_NE(owner.events & (EPOLLERR | EPOLLHUP), 0u);
  EXPECT_EQ(socket.finish_connect().value(), ECONNREFUSED);
}

}  // namespace
}  // namespace surge::detail
