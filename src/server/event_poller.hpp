#pragma once
// EventPoller: edge-triggered readiness of one worker's connection sockets, inside its io_context.

#include <sys/epoll.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "server/handler_slot.hpp"

#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "EventPoller runs inside Asio's epoll reactor"
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
/// removes it. Its owner
/// keeps nginx's `ready` flags: a read shorter than the buffer drained the socket, so the next
/// read waits for the next edge instead of being tried at once for EAGAIN (what Asio's
/// speculative reads cost: a system call per keep-alive request), and EPOLLRDHUP tells whether a
/// FIN waits behind the data, which a short read alone cannot.
///
/// The epoll set lives inside the worker's io_context, so timers, posts and acceptors stay
/// Asio's: its descriptor is registered with Asio's reactor (edge-triggered too), and a reactor
/// operation of our own collects the events with epoll_wait(0) when Asio sees the set ready.
/// After a harvest shorter than the event array the set is drained and the operation waits for
/// the next edge without a system call. A busy worker pays one epoll_wait of its own per batch of
/// events; no epoll_ctl is issued after a socket's registration unless its writes block.
///
/// Worker thread only.
class EventPoller final {
 public:
  static constexpr int kMaxEvents = 128;

  /// Throws std::system_error if the epoll set cannot be created or registered.
  explicit EventPoller(boost::asio::io_context& io);
  ~EventPoller();
  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  /// Registers a non-blocking socket for input (EPOLLIN | EPOLLRDHUP | EPOLLET). The target is
  /// told of events until the descriptor is closed.
  boost::system::error_code add(int fd, PollTarget& target);
  /// Adds output (EPOLLOUT) to fd's registration, for good: called the first time a write would
  /// block. Not registered from the start because a fresh socket is writable at once, and that
  /// edge alone would cost every new connection a wake-up of the worker for nothing. If the
  /// socket already has room, the edge comes at once.
  boost::system::error_code watch_output(int fd, PollTarget& target);
  /// Unregisters fd, for a descriptor whose socket other descriptors keep open (close(2) alone
  /// would leave it in the set).
  void remove(int fd);
  /// Calls target.on_events(0) after the events already collected: a target that still has input
  /// but has had its turn (fairness among connections) asks to go on later.
  void post(PollTarget& target);
  /// The target is going away: drop its post(), if any.
  void forget(PollTarget& target);

  /// Starts collecting events (the worker's thread, once, before its io_context runs).
  void start();
  /// Stops collecting: the pending operation completes (aborted) at the io_context's next turn,
  /// which must come before the poller is destroyed (the operation lives here).
  void stop();

  /// Whether events are being delivered now. A target destroyed meanwhile may still have an
  /// event further on in the batch: its memory must outlive the batch (see Worker::destroy).
  bool dispatching() const { return dispatching_; }
  /// Called after each batch (the worker frees the connections closed during it).
  void set_after_batch(void (*after)(void*), void* context) {
    after_batch_ = after;
    after_context_ = context;
  }

 private:
  class WaitOp;

  void wait();
  void on_ready(const boost::system::error_code& ec, int count);
  void resume();
  int harvest(boost::system::error_code& ec);
  void deliver(int count);

  boost::asio::io_context& io_;
  boost::asio::detail::reactor& reactor_;
  int epfd_ = -1;
  boost::asio::detail::reactor::per_descriptor_data reactor_data_ = nullptr;
  std::array<epoll_event, kMaxEvents> events_{};
  std::vector<PollTarget*> posted_;      // to call again after the next batch
  std::vector<PollTarget*> delivering_;  // the posted targets being called now
  HandlerSlot slot_;                     // the resume post's memory
  std::unique_ptr<WaitOp> op_;
  void (*after_batch_)(void*) = nullptr;
  void* after_context_ = nullptr;
  bool started_ = false;
  bool stopped_ = false;
  bool waiting_ = false;  // the reactor operation is queued (or completing)
  bool dispatching_ = false;
};

}  // namespace surge::detail
