#pragma once
// Socket: one non-blocking TCP socket on a worker's EventPoller, with nginx's readiness flags.

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

#include <boost/system/error_code.hpp>

#include "net/event_poller.hpp"

namespace surge::detail {

/// What one I/O call did.
enum class IoStatus : std::uint8_t {
  kDone,        // moved `bytes` bytes (at least one)
  kWouldBlock,  // nothing now: the next edge says when to try again
  kEnd,         // the peer closed its side (a read returned 0)
  kError,       // `error` says why (ECONNRESET, EPIPE, ...)
};

struct IoResult {
  IoStatus status = IoStatus::kDone;
  std::size_t bytes = 0;
  int error = 0;
};

/// The socket layer shared by the server's sessions and the upstream connections: a descriptor
/// registered once with the worker's EventPoller (input and half-close, edge-triggered; output
/// added the first time a write blocks), and nginx's readiness flags. Its owner is the PollTarget:
/// it passes each event to note() and then decides what to read or write.
///
/// nginx's `ready` flag: a read shorter than the room it was given drained the socket, so the next
/// read waits for the next edge instead of costing a system call for EAGAIN; unless EPOLLRDHUP
/// said a FIN (or an error) waits behind the data, which no further edge would announce.
///
/// Worker thread only. Not movable: the poller holds its owner's address.
class Socket final {
 public:
  Socket() = default;
  ~Socket() { close(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  /// Takes an open, non-blocking, close-on-exec descriptor (just accepted) and registers it for
  /// owner's events. On failure the descriptor is closed.
  boost::system::error_code open(int fd, EventPoller& poller, PollTarget& owner);
  /// Takes a descriptor registered with poller by another owner (release()d by it), and makes
  /// owner its target. Input is assumed waiting (one read tells); output is watched. On failure
  /// the descriptor is closed.
  boost::system::error_code adopt(int fd, EventPoller& poller, PollTarget& owner);
  /// Gives the descriptor up without closing it, still registered with the poller (for adopt()).
  int release();
  /// Starts a non-blocking connect to address on a new descriptor registered for owner's events,
  /// output included: the first output edge (or an error) says the connect ended, and
  /// finish_connect() says how. On failure nothing stays open.
  boost::system::error_code connect(const sockaddr* address, socklen_t length, EventPoller& poller,
                                    PollTarget& owner);
  /// After the connect's first output or error event: whether it succeeded.
  boost::system::error_code finish_connect();

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  /// Records what an event says: input may be waiting; the peer half-closed or failed (then
  /// every read is tried until it says so: no edge will come again).
  void note(std::uint32_t events);
  /// Input may be waiting (nginx's ready flag).
  bool readable() const { return readable_; }
  /// Says input may be waiting without an event (one read will tell): a read the owner skipped.
  void assume_readable() { readable_ = true; }
  /// The peer's FIN or an error is queued behind whatever data there is.
  bool end_pending() const { return end_pending_; }
  /// Whether the peer has closed (or reset) with no data left to read before the end, found out
  /// without consuming anything (MSG_PEEK).
  bool peer_closed() const;

  /// Reads up to room bytes. kWouldBlock without a system call when the last read drained the
  /// socket and no edge came since.
  IoResult receive(char* data, std::size_t room);
  /// Writes what the kernel takes now (MSG_NOSIGNAL).
  IoResult send(const char* data, std::size_t size);
  IoResult writev(const iovec* parts, int count);
  /// sendfile(2): up to length bytes of file from offset, which it advances.
  IoResult send_file(int file, std::uint64_t& offset, std::uint64_t length);

  /// A write would block: watch output from now on (EPOLLOUT added to the registration once;
  /// its next edge says there is room, or that the peer is gone).
  boost::system::error_code watch_output();
  /// Whether output is watched (a write blocked once, or a connect).
  bool output_watched() const { return output_watched_; }
  /// Sends FIN after what is written: the peer reads the end of the response, then EOF.
  void shutdown_write();
  /// TCP_NODELAY, once: responses never wait for an ACK behind a small segment.
  void set_nodelay();
  /// Closes the descriptor, which also takes it out of the poller's set.
  void close();
  /// Closes with a reset instead of a FIN (SO_LINGER 0): for a connection whose state is unknown
  /// and must not be mistaken for a clean end.
  void reset();

 private:
  EventPoller* poller_ = nullptr;
  PollTarget* owner_ = nullptr;
  int fd_ = -1;
  bool readable_ = false;
  bool end_pending_ = false;
  bool output_watched_ = false;
  bool nodelay_ = false;
};

}  // namespace surge::detail
