#include "net/event_poller.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

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

// An io_context with a poller in it, run as the worker runs it.
class EventPollerTest : public ::testing::Test {
 protected:
  // Runs the loop until done() holds (checked every millisecond by an Asio timer, which the loop
  // must fire) or 2 seconds have passed; returns done().
  bool run_until(const std::function<bool()>& done) {
    boost::asio::steady_timer timer(io);
    int checks = 0;
    std::function<void()> check = [&] {
      if (done() || ++checks > 2000) {
        io.stop();
        return;
      }
      timer.expires_after(1ms);
      timer.async_wait([&](const boost::system::error_code&) { check(); });
    };
    check();
    if (!io.stopped()) poller.run();
    io.restart();
    return done();
  }
  // Runs the loop for a few rounds of the timer: long enough for anything already pending.
  void run_briefly() {
    int rounds = 0;
    run_until([&] { return ++rounds > 20; });
  }

  boost::asio::io_context io{1};
  EventPoller poller{io};
};

TEST_F(EventPollerTest, ReportsARegisteredSocketsInputOncePerEdge) {
  SocketPair pair;
  Recorder target;
  ASSERT_FALSE(poller.add(pair.fds[0], target));
  run_briefly();
  // Registered for input only: a fresh socket's room to write is no reason to wake anyone.
  EXPECT_TRUE(target.seen.empty());

  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  ASSERT_TRUE(run_until([&] { return target.seen.size() == 1; }));
  EXPECT_TRUE(target.seen[0] & EPOLLIN);
  // Edge-triggered: nothing new arrived, nothing is reported again though the byte is unread.
  run_briefly();
  EXPECT_EQ(target.seen.size(), 1u);

  ::shutdown(pair.fds[1], SHUT_WR);
  ASSERT_TRUE(run_until([&] { return target.seen.size() == 2; }));
  EXPECT_TRUE(target.seen[1] & EPOLLRDHUP);  // the FIN behind the unread byte is announced
}

TEST_F(EventPollerTest, WatchingOutputReportsTheRoomAWriteWaitsFor) {
  SocketPair pair;
  Recorder target;
  ASSERT_FALSE(poller.add(pair.fds[0], target));
  // Fill the socket until a write would block, as a connection does before it waits.
  char block[4096] = {};
  while (::write(pair.fds[0], block, sizeof(block)) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  ASSERT_FALSE(poller.watch_output(pair.fds[0], target));
  run_briefly();
  EXPECT_TRUE(target.seen.empty());  // still full
  while (::read(pair.fds[1], block, sizeof(block)) > 0) {
  }
  ASSERT_TRUE(run_until([&] { return !target.seen.empty(); }));
  EXPECT_TRUE(target.seen.back() & EPOLLOUT);
}

TEST_F(EventPollerTest, DeliversEveryEventOfABatchLargerThanOneHarvest) {
  constexpr int kSockets = EventPoller::kMaxEvents * 2 + 5;
  std::vector<SocketPair> pairs(kSockets);
  std::vector<Recorder> targets(kSockets);
  for (int i = 0; i < kSockets; ++i) ASSERT_FALSE(poller.add(pairs[i].fds[0], targets[i]));
  for (int i = 0; i < kSockets; ++i) ASSERT_EQ(::write(pairs[i].fds[1], "x", 1), 1);
  auto all_seen = [&] {
    for (const Recorder& t : targets)
      if (t.seen.empty()) return false;
    return true;
  };
  ASSERT_TRUE(run_until(all_seen));
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
  ASSERT_FALSE(poller.add(pair.fds[0], reposting));
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  ASSERT_TRUE(run_until([&] { return reposting.turns == 5; }));  // the edge, four posted turns
  run_briefly();
  EXPECT_EQ(reposting.turns, 5);

  Recorder forgotten;
  poller.post(forgotten);
  poller.forget(forgotten);
  run_briefly();
  EXPECT_TRUE(forgotten.seen.empty());
}

TEST_F(EventPollerTest, TellsWhetherARoundIsUnderWay) {
  struct Probe final : PollTarget {
    EventPoller* poller = nullptr;
    bool in_round = false;
    void on_events(std::uint32_t) override { in_round = poller->in_round(); }
  } probe;
  probe.poller = &poller;
  int rounds = 0;
  poller.set_after_round([](void* count) { ++*static_cast<int*>(count); }, &rounds);
  SocketPair pair;
  ASSERT_FALSE(poller.add(pair.fds[0], probe));
  ASSERT_EQ(::write(pair.fds[1], "x", 1), 1);
  ASSERT_TRUE(run_until([&] { return probe.in_round; }));
  EXPECT_FALSE(poller.in_round());
  EXPECT_GE(rounds, 1);
}

// The crash of issue 12: a timer (a header timeout) closes a target in the same round in which
// that target's socket event is waiting to be delivered. Freed at once, the event would call into
// freed memory (a pooled block that an accept may already have reused). A target closed in a round
// must outlive the round: the owner frees it from the after-round hook, as the worker does.
TEST_F(EventPollerTest, ATargetClosedByATimerInTheRoundOfItsEventIsFreedOnlyAfterTheRound) {
  auto keep_running = boost::asio::make_work_guard(io);
  struct Target final : PollTarget {
    bool freed = false;
    bool called_when_freed = false;
    bool closed = false;
    void on_events(std::uint32_t) override {
      if (freed) called_when_freed = true;
    }
  } target;
  struct Owner {
    EventPoller* poller;
    Target* target;
    std::vector<Target*> closed_in_round;
    // What Worker::destroy does.
    void destroy(Target& t) {
      t.closed = true;
      if (poller->in_round()) {
        closed_in_round.push_back(&t);
      } else {
        t.freed = true;
      }
    }
  } owner{&poller, &target, {}};
  poller.set_after_round(
      [](void* o) {
        auto* self = static_cast<Owner*>(o);
        for (Target* t : self->closed_in_round) t->freed = true;
        self->closed_in_round.clear();
      },
      &owner);
  SocketPair pair;
  SocketPair starter;
  ASSERT_FALSE(poller.add(pair.fds[0], target));
  // In one round, the starter makes both ready for the next epoll_wait: the target's input and an
  // expired timer (Asio's timerfd), so the next round returns both, and runs Asio's work first.
  boost::asio::steady_timer deadline(io);
  struct Starter final : PollTarget {
    std::function<void()> act;
    void on_events(std::uint32_t) override { act(); }
  } start;
  start.act = [&] {
    deadline.expires_at(boost::asio::steady_timer::clock_type::now());
    deadline.async_wait([&](const boost::system::error_code&) { owner.destroy(target); });
    EXPECT_EQ(::write(pair.fds[1], "x", 1), 1);
    std::this_thread::sleep_for(2ms);
  };
  ASSERT_FALSE(poller.add(starter.fds[0], start));
  ASSERT_EQ(::write(starter.fds[1], "x", 1), 1);
  boost::asio::steady_timer stop(io);
  stop.expires_after(50ms);
  stop.async_wait([&](const boost::system::error_code&) { io.stop(); });
  poller.run();
  EXPECT_TRUE(target.closed);
  EXPECT_TRUE(target.freed);
  EXPECT_FALSE(target.called_when_freed);
}

// Handlers posted from another thread run: wake() makes the loop look at Asio. No timer here, so
// nothing else would wake the loop; a watchdog unblocks it through a socket if wake() failed.
TEST_F(EventPollerTest, WorkPostedFromAnotherThreadRunsAfterWake) {
  auto keep_running = boost::asio::make_work_guard(io);
  struct Stopper final : PollTarget {
    boost::asio::io_context* io = nullptr;
    void on_events(std::uint32_t) override { io->stop(); }
  } stopper;
  stopper.io = &io;
  SocketPair rescue;
  ASSERT_FALSE(poller.add(rescue.fds[0], stopper));
  std::atomic<bool> ran{false};
  std::thread poster([&] {
    std::this_thread::sleep_for(20ms);  // the loop is blocked in epoll_wait by then, most likely
    boost::asio::post(io, [&] {
      ran = true;
      io.stop();
    });
    poller.wake();
  });
  std::thread watchdog([&] {
    for (int i = 0; i < 500 && !ran; ++i) std::this_thread::sleep_for(10ms);
    if (!ran) {
      EXPECT_EQ(::write(rescue.fds[1], "x", 1), 1);
    }
  });
  poller.run();
  poster.join();
  watchdog.join();
  EXPECT_TRUE(ran);
}

// A handler posted before a socket's event arrived runs before that event is served, as in Asio's
// own loop: a worker told to retire must say "close" on the very next response.
TEST_F(EventPollerTest, WorkPostedBeforeAnEventRunsBeforeTheEventIsServed) {
  auto keep_running = boost::asio::make_work_guard(io);
  SocketPair first;
  SocketPair second;
  bool posted_ran = false;
  bool seen_after_post = false;
  struct Trigger final : PollTarget {
    std::function<void()> act;
    void on_events(std::uint32_t) override { act(); }
  } trigger, probe;
  trigger.act = [&] {
    // Both become ready during this batch, so the next epoll_wait returns them together.
    boost::asio::post(io, [&] { posted_ran = true; });
    poller.wake();
    EXPECT_EQ(::write(second.fds[1], "x", 1), 1);
  };
  probe.act = [&] {
    seen_after_post = posted_ran;
    io.stop();
  };
  ASSERT_FALSE(poller.add(first.fds[0], trigger));
  ASSERT_FALSE(poller.add(second.fds[0], probe));
  ASSERT_EQ(::write(first.fds[1], "x", 1), 1);
  poller.run();
  EXPECT_TRUE(seen_after_post);
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
