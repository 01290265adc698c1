#pragma once
// Connection: one accepted TCP connection, served for life by the worker that accepted it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>

#include <surge/peer.hpp>

#include "http/exchange.hpp"
#include "http/request_error.hpp"
#include "memory/byte_buffer.hpp"
#include "server/close_reason.hpp"
#include "server/deadline_list.hpp"
#include "server/event_poller.hpp"

namespace surge::detail {

class Exchange;
class Worker;
struct AppVersion;
enum class Wait : std::uint8_t;

/// Reads requests, hands them to the application, writes the responses. Everything runs on the
/// owning worker's thread, so nothing here is synchronised.
///
/// Life cycle: read -> parse (pipelined requests one after the other) -> answer each into the
/// output buffer -> write everything produced from one read with one send() -> read again. While
/// a write is blocked nothing is read (back-pressure on a client that does not read). An idle
/// connection first keeps its read buffer (it is likely to be reused at once); after
/// pools.release_idle_after it gives its buffers back and waits for readability without a buffer.
///
/// Readiness comes from the worker's EventPoller (edge-triggered, nginx's `ready` flags): the
/// socket is read when it may have input, written until the kernel takes no more, and waited for
/// only then. A connection whose input keeps coming reads kReadsPerTurn times, then lets the other
/// connections of its worker have their turn.
class Connection final : public DeadlineHook, public PollTarget {
 public:
  explicit Connection(Worker& worker);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Takes the socket just accepted (non-blocking, close-on-exec, its only descriptor) and
  /// registers it with the worker's poller; on failure closes it and sets ec.
  void adopt(int fd, boost::system::error_code& ec);
  /// The socket was just accepted from `peer`.
  void start(const boost::asio::ip::tcp::endpoint& peer);
  /// Over the connection limit: answer 503 without reading and close.
  void refuse();
  /// The deadline of the list this connection is in has passed.
  void on_deadline(Wait what);
  /// Idle long enough: give the buffers back (called by the worker's tick).
  void park();
  /// Closes the connection now, for `reason`, if it is between requests (nothing read of a
  /// request, nothing left to write) and returns true. A request that has arrived but that no
  /// event has announced yet is served instead (one read tells), and false is returned: the
  /// worker drains (its response then closes the connection), or makes room for a newcomer.
  bool close_if_idle(CloseReason reason);
  /// Close now, whatever the state.
  void abort(CloseReason reason);
  /// The deferred request's answer is ready to be produced: runs fill, sends the response, and
  /// goes on serving the connection.
  void resume(std::function<void(Context&)>& fill);
  /// The deferred request gets an error instead (its deadline passed, or it was abandoned).
  void fail_deferred(int status, std::string_view message);

  /// The poller: the socket became readable or writable (or the connection's turn came again).
  void on_events(std::uint32_t events) override;

 private:
  // What process() needs next: more input, the output written before going on, or closing;
  // kClosed: it is closed already (and may be freed), nothing may be touched.
  enum class Step : std::uint8_t { kContinue, kNeedInput, kFlush, kClose, kDeferred, kClosed };
  // What a read brought: bytes, nothing yet (wait for an edge), or the end (closed).
  enum class Input : std::uint8_t { kData, kWait, kClosed };
  // The readiness the connection waits for; events for anything else only set the flags.
  enum class Await : std::uint8_t { kNothing, kInput, kOutput };

  void drive();
  Step process();
  Step on_header_complete();
  Step dispatch();
  Step respond(bool body_unread);
  Step reject(RequestError error);
  void time_out(CloseReason reason, std::string_view message);
  /// The body has arrived slower than timeouts.body_min_bytes_per_s since it began.
  bool body_too_slow() const;
  /// The current response has been read slower than timeouts.send_min_bytes_per_s since its
  /// write first had to wait.
  bool reader_too_slow() const;
  void finish_exchange();
  void observe(std::uint64_t response_bytes, RequestError error);
  bool write_out();
  bool send_file();
  bool wait_writable(bool progress);
  void close_file();
  void on_writable();
  void wait_for_input();
  Input receive();
  void end_of_input(int error);
  void discard_input();
  /// Runs the application's code; an exception escaping it becomes a 500.
  template <class Call>
  void run_handler(Call&& call);
  void after_deferred();
  void begin_close(CloseReason reason);
  void close(CloseReason reason);
  bool make_room();
  /// Some byte of a request (not just empty lines) has arrived and it is not answered yet.
  bool request_in_progress() const;
  void set_nodelay();

  Worker& worker_;
  int fd_ = -1;
  ByteBuffer in_;
  ByteBuffer out_;
  FileBody file_;              // sent with sendfile after out_, when a response has one
  Exchange* exchange_ = nullptr;
  AppVersion* app_ = nullptr;  // the application the current request started with
  PeerAddress peer_;
  std::size_t read_pos_ = 0;   // first byte of in_ not yet parsed
  std::size_t out_pos_ = 0;    // first byte of out_ not yet written
  std::uint64_t requests_ = 0; // requests answered on this connection
  std::uint64_t idle_since_request_ = ~0ULL;  // requests_ when the idle deadline was armed
  std::uint32_t queued_ = 0;   // responses in out_ not yet written
  Clock::time_point body_started_{};  // when the current request's header was complete
  Clock::time_point send_waited_{};   // when the current output first had to wait; {}: it has not
  std::uint64_t sent_since_wait_ = 0;  // bytes written since then
  std::uint32_t turn_reads_ = 0;  // reads since the poller last called
  CloseReason close_reason_ = CloseReason::kServer;
  Await waiting_ = Await::kNothing;
  // nginx's ready flag: the socket may have input. Cleared by a short read or EAGAIN, set by the
  // next edge. (Output needs none: a blocked write waits for the next EPOLLOUT edge.)
  bool readable_ = false;
  bool eof_pending_ = false;   // EPOLLRDHUP came: read until the end, whatever a read returns
  bool output_watched_ = false;  // EPOLLOUT added to the registration (a write blocked once)
  bool in_flight_ = false;     // the header was handled: counted in the worker's in-flight gauge
  bool parked_ = false;        // idle, buffers given back
  bool closing_after_write_ = false;
  bool linger_ = false;        // after the last response, read and discard before closing
  bool lingering_ = false;
  bool closed_ = false;
  bool nodelay_ = false;
};

}  // namespace surge::detail
