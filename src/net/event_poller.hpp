#pragma once
// EventPoller: one worker's event loop: an edge-triggered epoll set of its sockets, with Asio's
// reactor inside it for timers and posted work.

#include <sys/epoll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "net/loop_clock.hpp"

#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT) || \
    !defined(BOOST_ASIO_HAS_TIMERFD)
#error "EventPoller drives Asio's epoll reactor (with timerfd) from its own epoll set"
#endif

namespace surge::detail {

/// What a registered socket is told: the epoll event bits that became true (EPOLLIN, EPOLLOUT,
/// EPOLLRDHUP, EPOLLHUP, EPOLLERR), or 0 when it asked to be called again (post()).
class PollTarget {
 public:
  virtual void on_events(std::uint32_t events) = 0;

 protected:
  ~PollTarget() = default;
};

/// nginx's way with epoll. A socket is registered once, when it is accepted, for input and the
/// peer's half-close, edge-triggered (output is added the first time a write would block); close(2)
/// removes it. Its owner keeps nginx's `ready` flags: a read shorter than the buffer drained the
/// socket, so the next read waits for the next edge instead of being tried at once for EAGAIN
/// (what Asio's speculative reads cost: a system call per keep-alive request), and EPOLLRDHUP
/// tells whether a FIN waits behind the data, which a short read alone cannot.
///
/// run() is the worker's loop: it blocks in epoll_wait on this set only. Asio's own epoll
/// descriptor is in the set (level-triggered), so timers (Asio arms a timerfd in its set) and
/// posted handlers wake the loop, which then runs io_context::poll() before it serves the
/// sockets' events of the same round; otherwise Asio costs nothing per round. One epoll_wait per
/// round of events, as nginx's loop.
///
/// Posted work must wake the loop: Asio interrupts its reactor only when it believes a thread is
/// blocked in it, never the case here, so whoever posts to the io_context calls wake() after.
///
/// Worker thread only, except wake().
class EventPoller final {
 public:
  static constexpr int kMaxEvents = 128;

  /// Throws std::system_error if the epoll set cannot be created. clock: where the loop reads the
  /// time (null: the steady clock); it must outlive the poller.
  explicit EventPoller(boost::asio::io_context& io, const LoopClock* clock = nullptr);
  ~EventPoller();
  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  /// Registers a non-blocking socket for input (EPOLLIN | EPOLLRDHUP | EPOLLET). The target is
  /// told of events until the descriptor is closed.
  boost::system::error_code add(int fd, PollTarget& target);
  /// Adds output (EPOLLOUT) to fd's registration, for good: called the first time a write would
  /// block. Not registered from the start because a fresh socket is writable at once, and that
  /// edge alone would cost every new connection a round of the loop for nothing. If the socket
  /// already has room, the edge comes at once.
  boost::system::error_code watch_output(int fd, PollTarget& target);
  /// Hands fd's registration to another target, with output watched from now on (a socket that
  /// changes owner: a session's client becoming one end of a tunnel). The kernel checks the
  /// socket's readiness again, so an edge the old owner was told of and never acted on comes again.
  boost::system::error_code retarget(int fd, PollTarget& target);
  /// Unregisters fd, for a descriptor whose socket other descriptors keep open (close(2) alone
  /// would leave it in the set).
  void remove(int fd);
  /// Calls target.on_events(0) after the events already collected: a target that still has input
  /// but has had its turn (fairness among connections) asks to go on later.
  void post(PollTarget& target);
  /// The target is going away: drop its post(), if any.
  void forget(PollTarget& target);

  /// The loop: delivers events and runs the io_context's ready handlers until the io_context is
  /// stopped (or runs out of work).
  void run();
  /// Any thread: something was posted to the io_context; the loop runs it at its next round.
  void wake();

  /// The time read when the current round began (nginx's cached time): one clock read per round,
  /// however many sockets arm deadlines in it. Before run(), the time of construction.
  Clock::time_point now() const { return now_; }
  /// Reads the clock again (a long round, or work done outside the loop).
  Clock::time_point refresh_time() { return now_ = read_clock(); }

  /// Whether a round of the loop is under way: from epoll_wait's return, through Asio's work and
  /// the delivery of the events, to the round's end. A target closed meanwhile (by an event, a
  /// timer or a post) may still be named by an event further on in the round: its memory must
  /// outlive the round (see Worker::destroy).
  bool in_round() const { return in_round_; }
  /// Called at the end of each round, also when the loop is about to stop (the worker frees the
  /// targets closed during it).
  void set_after_round(void (*after)(void*), void* context) {
    after_round_ = after;
    after_context_ = context;
  }

 private:
  void deliver(int count);
  Clock::time_point read_clock() const { return clock_ != nullptr ? clock_->now() : Clock::now(); }

  boost::asio::io_context& io_;
  boost::asio::detail::reactor& reactor_;
  const LoopClock* clock_;
  Clock::time_point now_;
  int epfd_ = -1;
  std::array<epoll_event, kMaxEvents> events_{};
  std::vector<PollTarget*> posted_;      // to call again after the next batch
  std::vector<PollTarget*> delivering_;  // the posted targets being called now
  void (*after_round_)(void*) = nullptr;
  void* after_context_ = nullptr;
  bool in_round_ = false;
};

}  // namespace surge::detail
