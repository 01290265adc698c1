#pragma once
// Http1Session: HTTP/1.1 served on one accepted socket, for life, by the worker that accepted it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include <surge/peer.hpp>

#include "http/exchange.hpp"
#include "http/request_error.hpp"
#include "http/response_encoding.hpp"
#include "memory/byte_buffer.hpp"
#include "memory/intrusive_list.hpp"
#include "net/deadline_list.hpp"
#include "net/event_poller.hpp"
#include "net/socket.hpp"
#include "server/close_reason.hpp"
#include "server/request_input.hpp"
#include "server/session_output.hpp"

namespace surge::detail {

class Worker;
struct AppVersion;

/// What a session waits for; each has its own deadline list and timeout in the worker.
enum class Wait : std::uint8_t { kNone = 0, kHeader, kBody, kIdle, kParked, kWrite, kLinger, kCount };

/// Reads requests, hands them to the application, writes the responses. Everything runs on the
/// owning worker's thread, so nothing here is synchronised.
///
/// Its life is one explicit phase: idle between requests (parked: without buffers), active while
/// a request is read, answered or its body streamed, closing once the last response is queued,
/// lingering (half-closed, input discarded) after it, closed. Socket I/O and its readiness flags
/// are the Socket's; what is left to send is the SessionOutput's.
///
/// Read -> parse (pipelined requests one after the other) -> answer each into the output ->
/// write everything produced from one read with one send() -> read again. While a write is
/// blocked nothing is read (back-pressure on a client that does not read). A request answered
/// later (deferred, suspended, a streamed response) stops the reading of further requests until
/// its response is complete. A route that streams its body gets the body piece by piece; a task
/// that pauses it stops the reading.
class Http1Session final : public PollTarget,
                           public DeadlineHook,
                           public ListHook,
                           public ExchangeOwner {
 public:
  explicit Http1Session(Worker& worker);
  ~Http1Session();
  Http1Session(const Http1Session&) = delete;
  Http1Session& operator=(const Http1Session&) = delete;

  /// Takes the socket just accepted (non-blocking, close-on-exec, its only descriptor) and
  /// registers it with the worker's poller; on failure closes it and sets ec.
  void adopt(int fd, boost::system::error_code& ec);
  /// The socket was just accepted from `peer`.
  void start(const boost::asio::ip::tcp::endpoint& peer);
  /// Over the connection limit: answer 503 without reading and close.
  void refuse();
  /// The deadline of what it waits for passed (its deadline list calls this).
  void on_deadline();
  /// Idle long enough: give the buffers back (called by the worker's tick).
  void park();
  /// Closes now, for `reason`, if between requests (nothing of a request read, nothing to write)
  /// and returns true. A request that has arrived but that no event has announced yet is served
  /// instead (one read tells) and false is returned.
  bool close_if_idle(CloseReason reason);
  /// Close now, whatever the state.
  void abort(CloseReason reason);

  /// The poller: the socket became readable or writable (or the session's turn came again).
  void on_events(std::uint32_t events) override;

  // ExchangeOwner: the asynchronous side of the exchange in progress.
  void resume(std::function<void(Context&)>& fill) override;
  void fail_pending(int status, std::string_view message) override;
  void complete() override;
  bool write_body(std::string_view piece) override;
  void end_body() override;
  void abort_body() override;
  bool switch_protocols(ProtocolSwitch& to) override;
  void resume_request_body() override;

 private:
  // Reads a session may do before others get their turn, when its input keeps coming.
  static constexpr std::uint32_t kReadsPerTurn = 4;

  enum class Phase : std::uint8_t {
    kIdle,       // waiting for a request: the first, or the next on a keep-alive connection
    kParked,     // idle, buffers given back
    kHead,       // a request has begun (exchange_): its header is being read
    kServing,    // its header was handled: body read, handler run, answer pending or streamed
    kClosing,    // the last response is queued: close (or linger) once it is written
    kLingering,  // half-closed after the last response: input read and dropped until EOF
    kClosed,
  };
  // A response whose body is written piece by piece by the exchange's task.
  struct StreamedBody {
    bool active = false;
    bool chunked = false;      // framed with chunked transfer coding (length unknown)
    bool close = false;        // the connection closes after it
    std::uint64_t bytes = 0;   // head and body written so far (for the observers)
    bool started = false;      // the task was told to write its first pieces
    bool told_to_stop = false; // a write returned false: the task waits to be told it may go on
  };
  // What process() needs next: more input, the output written before going on, or closing;
  // kWait: the exchange is answered later (or its body is paused): nothing to do until then;
  // kClosed: closed already (and maybe freed), nothing may be touched.
  enum class Step : std::uint8_t { kContinue, kNeedInput, kFlush, kClose, kWait, kClosed };
  // What a read brought: bytes, nothing yet (wait for an edge), or the end (closed).
  enum class Input : std::uint8_t { kData, kWait, kClosed };
  // The readiness the session waits for; events for anything else only set the flags.
  enum class Await : std::uint8_t { kNothing, kInput, kOutput };

  // Serving (http1_session.cpp).
  void drive();
  Step process();
  Step on_header_complete();
  Step dispatch();
  Step deliver_body();
  Step respond(bool body_unread);
  Step reject(RequestError error);
  void finish_exchange();
  void observe(std::uint64_t response_bytes, RequestError error);
  template <class Call>
  void run_handler(Call&& call);
  void after_answer(bool body_unread);
  bool request_in_progress() const;
  /// The current exchange waits for its answer (or its streamed body): nothing more is parsed.
  bool answer_pending() const;
  /// Calls into the handler or the task: what they ask of the session meanwhile (complete, end
  /// a body) takes effect when the call returns, never from inside it.
  template <class Call>
  void call_out(Call&& call) {
    const bool nested = calling_out_;
    calling_out_ = true;
    call();
    calling_out_ = nested;
  }
  bool make_room();
  bool body_too_slow() const;
  void time_out(CloseReason reason, std::string_view message);
  void cancel_task();

  // Socket input and output (http1_session_io.cpp).
  Input receive();
  void end_of_input(int error);
  void discard_input();
  void wait_for_input();
  bool write_out();
  bool wait_writable(bool progress);
  void on_writable();
  /// The client can take more of a streamed body: the task writes. False when the session closed.
  bool let_task_write();
  bool reader_too_slow() const;
  void client_may_be_gone();
  void begin_close(CloseReason reason);
  void close(CloseReason reason);
  void arm(Wait what);

  Worker& worker_;
  Socket socket_;
  RequestInput input_;
  SessionOutput out_;
  Exchange* exchange_ = nullptr;
  AppVersion* app_ = nullptr;  // the application the current request started with
  PeerAddress peer_;
  std::uint64_t requests_ = 0; // requests answered on this connection
  std::uint64_t idle_since_request_ = ~0ULL;  // requests_ when the idle deadline was armed
  std::uint32_t queued_ = 0;   // responses in the output not yet written
  std::uint32_t turn_reads_ = 0;  // reads since the poller last called
  Clock::time_point body_started_{};  // when the current request's header was complete
  Clock::time_point send_waited_{};   // when the current output first had to wait; {}: it has not
  std::uint64_t sent_since_wait_ = 0;  // bytes written since then
  CloseReason close_reason_ = CloseReason::kServer;
  Phase phase_ = Phase::kIdle;
  Await waiting_ = Await::kNothing;
  Wait wait_ = Wait::kNone;     // the deadline armed
  StreamedBody stream_;
  PooledStreamEncoder encoder_;  // the streamed body's content coding, when it has one
  bool linger_ = false;         // once the last response is written, read and discard a while
  bool feeding_body_ = false;   // the exchange's task takes the request body as it arrives
  bool body_paused_ = false;    // ... and asked for no more for now
  bool calling_out_ = false;    // inside a call into the handler or the task (call_out)
};

}  // namespace surge::detail
