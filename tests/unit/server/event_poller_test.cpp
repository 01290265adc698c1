#include "server/event_poller.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

namespace surge::detail {
namespace {

// A non-blocking stream socket pair: [0] is registered, [1] plays the peer.
struct SocketPair {
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  int fds[2] = {-1, -1};
};

struct Recorder final : PollTarget {
  void on_events(std::uint32_t events) override { seen.push_back(events); }
  std::vector<std::uint32_t> seen;
};

void drain(boost::asio::io_context& io) {
  do {
    io.restart();
  } while (io.poll() > 0);
}

// An io_context with a poller in it; stopped and drained at the end, as the worker does.
class EventPollerTest : public ::testing::Test {
 protected:
  ~EventPollerTest() override {
    poller.stop();
    drain(io);
  }
  // Registers fd for target and starts the poller; the registration's edge is delivered.
  void watch(int fd, PollTarget& target) {
    ASSERT_FALSE(poller.add(fd, target));
    poller.start();
    drain(io);
  }

  boost::asio::io_context io{1};
  EventPoller poller{io};
};

TEST_F(EventPollerTest, ReportsARegisteredSocketsInputOncePerEdge) {
  SocketPair pair;
  Recorder target;
  watch(pair.fds[0], target);
  // Registered for input only: a fresh socket's room to write is no reason to wake anyone.
  EXPECT_TRUE(target.seen.empty());

  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  drain(io);
  ASSERT_EQ(target.seen.size(), 1u);
  EXPECT_TRUE(target.seen[0] & EPOLLIN);
  // Edge-triggered: nothing new arrived, nothing is reported again though the byte is unread.
  drain(io);
  EXPECT_EQ(target.seen.size(), 1u);

  ::shutdown(pair.fds[1], SHUT_WR);
  drain(io);
  ASSERT_EQ(target.seen.size(), 2u);
  EXPECT_TRUE(target.seen[1] & EPOLLRDHUP);  // the FIN behind the unread byte is announced
}

TEST_F(EventPollerTest, WatchingOutputReportsTheRoomAWriteWaitsFor) {
  SocketPair pair;
  Recorder target;
  watch(pair.fds[0], target);
  // Fill the socket until a write would block, as a connection does before it waits.
  char block[4096] = {};
  while (::write(pair.fds[0], block, sizeof(block)) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  ASSERT_FALSE(poller.watch_output(pair.fds[0], target));
  drain(io);
  EXPECT_TRUE(target.seen.empty());  // still full
  while (::read(pair.fds[1], block, sizeof(block)) > 0) {
  }
  drain(io);
  ASSERT_FALSE(target.seen.empty());
  EXPECT_TRUE(target.seen.back() & EPOLLOUT);
}

TEST_F(EventPollerTest, DeliversEveryEventOfABatchLargerThanOneHarvest) {
  constexpr int kSockets = EventPoller::kMaxEvents * 2 + 5;
  std::vector<SocketPair> pairs(kSockets);
  std::vector<Recorder> targets(kSockets);
  for (int i = 0; i < kSockets; ++i) ASSERT_FALSE(poller.add(pairs[i].fds[0], targets[i]));
  poller.start();
  drain(io);
  for (int i = 0; i < kSockets; ++i) ASSERT_EQ(::write(pairs[i].fds[1], "x", 1), 1);
  drain(io);
  for (int i = 0; i < kSockets; ++i) {
    ASSERT_EQ(targets[i].seen.size(), 1u) << i;
    EXPECT_TRUE(targets[i].seen[0] & EPOLLIN) << i;
  }
}

// A target that posts itself is called again (with 0) after the batch, without a new edge; one
// forgotten meanwhile is not.
TEST_F(EventPollerTest, CallsAPostedTargetAgainUnlessForgotten) {
  struct Reposting final : PollTarget {
    EventPoller* poller = nullptr;
    int turns = 0;
    void on_events(std::uint32_t) override {
      if (++turns < 5) poller->post(*this);
    }
  } reposting;
  reposting.poller = &poller;
  SocketPair pair;
  watch(pair.fds[0], reposting);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  drain(io);
  EXPECT_EQ(reposting.turns, 5);  // the input's edge, then four posted turns

  Recorder forgotten;
  poller.post(forgotten);
  poller.forget(forgotten);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  drain(io);
  EXPECT_TRUE(forgotten.seen.empty());
}

TEST_F(EventPollerTest, TellsWhetherABatchIsBeingDelivered) {
  struct Probe final : PollTarget {
    EventPoller* poller = nullptr;
    bool dispatching = false;
    void on_events(std::uint32_t) override { dispatching = poller->dispatching(); }
  } probe;
  probe.poller = &poller;
  int batches = 0;
  poller.set_after_batch([](void* count) { ++*static_cast<int*>(count); }, &batches);
  SocketPair pair;
  watch(pair.fds[0], probe);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  drain(io);
  EXPECT_TRUE(probe.dispatching);
  EXPECT_FALSE(poller.dispatching());
  EXPECT_EQ(batches, 1);
}

TEST_F(EventPollerTest, StoppedItCollectsNothingMore) {
  SocketPair pair;
  Recorder target;
  watch(pair.fds[0], target);
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  drain(io);
  poller.stop();
  drain(io);
  ASSERT_EQ(::write(pair.fds[1], "y", 1), 1);
  drain(io);
  EXPECT_EQ(target.seen.size(), 1u);
  // The io_context has no work left: its run() returns instead of waiting for the set.
  io.restart();
  EXPECT_EQ(io.run(), 0u);
}

TEST_F(EventPollerTest, AddingAnInvalidDescriptorIsAnError) {
  Recorder target;
  EXPECT_TRUE(poller.add(-1, target));
  const int file = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // epoll refuses regular files
  EXPECT_TRUE(poller.add(file, target));
  ::close(file);
}

}  // namespace
}  // namespace surge::detail
