#include "server/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include <boost/beast/http/error.hpp>
#include <spdlog/logger.h>

#include <surge/status.hpp>

#include "http/exchange.hpp"
#include "server/worker.hpp"

namespace surge::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Read at least this much at a time; a smaller free tail is first compacted or grown.
constexpr std::size_t kMinReadRoom = 1024;
// Pipelined responses are written once this many bytes are waiting, whatever their number.
constexpr std::size_t kFlushBytes = 64 * 1024;
// Reads a connection may do before others get their turn, when its input keeps coming.
constexpr std::uint32_t kReadsPerTurn = 4;

PeerAddress to_peer(const asio::ip::tcp::endpoint& endpoint) {
  PeerAddress peer;
  peer.port = endpoint.port();
  const asio::ip::address address = endpoint.address();
  if (address.is_v4()) {
    auto v4 = address.to_v4().to_bytes();
    peer.bytes[10] = peer.bytes[11] = 0xff;
    std::memcpy(peer.bytes.data() + 12, v4.data(), 4);
    peer.is_v4 = true;
  } else {
    // A dual-stack socket (an inherited one need not be v6-only) sees IPv4 clients as
    // ::ffff:a.b.c.d: the same bytes, and still an IPv4 client.
    auto v6 = address.to_v6().to_bytes();
    std::memcpy(peer.bytes.data(), v6.data(), 16);
    peer.is_v4 = address.to_v6().is_v4_mapped();
  }
  return peer;
}

}  // namespace

Connection::Connection(Worker& worker)
    : worker_(worker), in_(&worker.buffers()), out_(&worker.buffers()) {}

Connection::~Connection() {
  if (exchange_ != nullptr) worker_.release_exchange(exchange_);
  if (fd_ >= 0) ::close(fd_);
}

void Connection::adopt(int fd, error_code& ec) {
  fd_ = fd;
  ec = worker_.poller().add(fd, *this);
  if (ec) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Connection::start(const asio::ip::tcp::endpoint& peer) {
  peer_ = to_peer(peer);
  worker_.on_open();
  // The first request must arrive within the header timeout. Not read yet: if it is there
  // already, registering the socket reported it, so no read is tried in vain (nginx does the same).
  wait_for_input();
}

void Connection::refuse() {
  worker_.on_open();
  worker_.writer().write_text(out_, 503, "too many connections (limits.max_connections_per_worker)\n",
                              {.close = true});
  // One attempt, never waited for: a connection over the limit gets no resources.
  [[maybe_unused]] auto sent = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(CloseReason::kLimit);
}

// ---------------------------------------------------------------------------------------------
// The serving loop

void Connection::drive() {
  for (;;) {
    Step step = closing_after_write_ ? Step::kClose : process();
    if (step == Step::kDeferred || step == Step::kClosed) return;
    if (step == Step::kClose) closing_after_write_ = true;
    // write_out() returning false means the connection is now waiting for the socket, or closed
    // (and possibly destroyed): either way nothing here may be touched any more.
    if ((out_pos_ < out_.size() || file_.fd >= 0) && !write_out()) return;
    if (step == Step::kClose) {
      begin_close(close_reason_);
      return;
    }
    if (step == Step::kNeedInput) {
      if (readable_ && turn_reads_ >= kReadsPerTurn) {
        // More input may be waiting, but other connections get their turn first.
        wait_for_input();
        worker_.poller().post(*this);
        return;
      }
      const Input input = receive();
      if (input == Input::kClosed) return;
      if (input == Input::kWait) {
        wait_for_input();
        return;
      }
    }
  }
}

Connection::Step Connection::process() {
  for (;;) {
    if (exchange_ == nullptr) {
      if (read_pos_ == in_.size()) return Step::kNeedInput;
      exchange_ = worker_.acquire_exchange();
      exchange_->begin(&peer_, &worker_, worker_.index());
      app_ = worker_.acquire_app();
      if (!app_->observers.empty()) exchange_->set_started(Clock::now());
    }
    RequestParser& parser = exchange_->parser();
    error_code ec;
    read_pos_ += parser.parse(in_.data(), read_pos_, in_.size(), ec);
    if (ec == boost::beast::http::error::need_more) {
      if (!parser.started()) {
        // Only empty lines so far: not a request yet, the connection is still idle.
        finish_exchange();
        return Step::kNeedInput;
      }
      if (parser.header_done() && body_too_slow()) {
        time_out(CloseReason::kBodyTooSlow,
                 "request body arrived too slowly (timeouts.body_min_bytes_per_s)\n");
        return Step::kClosed;
      }
      if (!make_room()) return reject(parser.header_done() ? RequestError::kBodyTooLarge
                                                           : RequestError::kHeaderTooLarge);
      return Step::kNeedInput;
    }
    if (ec) return reject(classify(ec));
    if (parser.header_done() && !in_flight_) {
      if (Step step = on_header_complete(); step != Step::kContinue) return step;
    }
    if (parser.done()) {
      if (Step step = dispatch(); step != Step::kContinue) return step;
    }
  }
}

Connection::Step Connection::on_header_complete() {
  RequestParser& parser = exchange_->parser();
  in_flight_ = true;
  worker_.stats().in_flight.add(1);
  const RequestHead& head = parser.head();
  exchange_->set_base(in_.data());
  if (RequestError e = app_->app->on_header(*exchange_); e != RequestError::kNone) return reject(e);
  if (parser.done()) return Step::kContinue;
  body_started_ = Clock::now();
  if (!head.chunked) {
    // The whole body goes right after the header: make room for it once.
    std::uint64_t missing = head.content_length - parser.body_received();
    std::uint64_t buffered = in_.size() - read_pos_;
    if (missing > buffered) in_.prepare(static_cast<std::size_t>(missing - buffered));
  }
  if (head.expect_continue && read_pos_ == in_.size()) {
    // RFC 9110 10.1.1: the client waits for this before sending the body we are going to read.
    ResponseWriter::write_continue(out_);
    return Step::kFlush;
  }
  return Step::kContinue;
}

Connection::Step Connection::dispatch() {
  exchange_->set_base(in_.data());
  exchange_->set_owner(this);
  run_handler([this] { app_->app->handle(*exchange_); });
  if (exchange_->deferred()) {
    // Nothing to send yet and nothing more to read until the answer comes: the connection is in
    // no deadline list (the worker's deferred deadlines apply).
    worker_.disarm(*this);
    return Step::kDeferred;
  }
  return respond(false);
}

template <class Call>
void Connection::run_handler(Call&& call) {
  // The recover middleware normally turns exceptions into 500s; this is the last line.
  const char* what = nullptr;
  std::string message;
  try {
    call();
    return;
  } catch (const std::exception& e) {
    message = e.what();
    what = message.c_str();
  } catch (...) {
    what = "non-standard exception";
  }
  // One line, bounded: an exception's text can come from client input.
  std::string_view text(what);
  text = text.substr(0, std::min<std::size_t>(text.find_first_of("\r\n"), 256));
  std::string_view id = exchange_->request_id();
  worker_.log().error("unhandled exception in handler: {} (request_id={} route={} method={} path={})", text,
                      id.empty() ? "-" : id,
                      exchange_->route_pattern().empty() ? "-" : exchange_->route_pattern(),
                      exchange_->context().request().method_name(), exchange_->context().request().path());
  if (exchange_->deferred()) {
    worker_.end_deferred(exchange_->deferred_slot());
    exchange_->set_deferred(false);
  }
  exchange_->clear_response();
  exchange_->context().text(500, "internal server error\n");
}

void Connection::resume(std::function<void(Context&)>& fill) {
  worker_.end_deferred(exchange_->deferred_slot());
  exchange_->set_deferred(false);
  run_handler([&] { fill(exchange_->context()); });
  if (exchange_->deferred()) return;  // the completion deferred again
  after_deferred();
}

void Connection::fail_deferred(int status, std::string_view message) {
  worker_.end_deferred(exchange_->deferred_slot());
  exchange_->set_deferred(false);
  std::string_view id = exchange_->request_id();
  worker_.log().warn("{} port {}: {} {}: {} (request_id={})", peer_.ip_string(), peer_.port, status,
                     reason_phrase(status), message.substr(0, message.size() - 1), id.empty() ? "-" : id);
  exchange_->clear_response();
  exchange_->context().text(status, message);
  after_deferred();
}

void Connection::after_deferred() {
  if (respond(false) == Step::kClose) closing_after_write_ = true;
  drive();
}

Connection::Step Connection::respond(bool body_unread) {
  const RequestHead& head = exchange_->head();
  ++requests_;
  worker_.stats().requests.add();
  exchange_->run_completion_calls();
  const std::uint64_t max_requests = worker_.config().limits.max_requests_per_connection;
  const bool close = !head.keep_alive || body_unread || exchange_->close_requested() ||
                     worker_.retiring() || (max_requests != 0 && requests_ >= max_requests);
  const bool head_request = head.method == Method::kHead;
  const std::size_t out_before = out_.size();
  worker_.writer().write(out_, *exchange_,
                         {.head_request = head_request,
                          .close = close,
                          .http10_keep_alive = head.version == 10 && !close});
  ++queued_;
  // A file goes out after the bytes written so far, so nothing may be appended behind it before
  // it is sent: flush.
  const bool file = exchange_->has_file_body() && !head_request &&
                    !status_has_no_body(exchange_->status());
  if (!app_->observers.empty()) {
    observe(out_.size() - out_before + (file ? exchange_->file_length() : 0), RequestError::kNone);
  }
  if (file) file_ = exchange_->take_file_body();
  finish_exchange();
  if (close) {
    close_reason_ = CloseReason::kServer;
    // Unread input (a body we refused, pipelined requests after a close): read and discard it
    // for a while after the response, so the client is not reset before reading the response.
    linger_ = body_unread || read_pos_ < in_.size();
    return Step::kClose;
  }
  if (!nodelay_ && requests_ >= 2) set_nodelay();
  if (file || queued_ >= worker_.config().limits.max_pipelined_responses ||
      out_.size() - out_pos_ >= kFlushBytes) {
    return Step::kFlush;
  }
  return Step::kContinue;
}

Connection::Step Connection::reject(RequestError error) {
  const RequestErrorInfo& i = info(error);
  worker_.stats().rejected[static_cast<std::size_t>(error)].add();
  worker_.log().info("{} port {}: {} {}: {}", peer_.ip_string(), peer_.port, i.status,
                     reason_phrase(i.status), i.message);
  char body[160];
  std::size_t size = std::min(i.message.size(), sizeof(body) - 1);
  std::memcpy(body, i.message.data(), size);
  body[size++] = '\n';
  const std::size_t out_before = out_.size();
  worker_.writer().write_text(out_, i.status, {body, size}, {.close = true});
  ++queued_;
  if (!app_->observers.empty()) observe(out_.size() - out_before, error);
  finish_exchange();
  close_reason_ = i.status == 400 ? CloseReason::kBadRequest : CloseReason::kLimit;
  linger_ = true;
  return Step::kClose;
}

void Connection::observe(std::uint64_t response_bytes, RequestError error) {
  if (app_->observers.empty()) return;
  // The read buffer may have moved since the header was handled (it grows while a body is read):
  // the request's spans are offsets, so point them at where the bytes are now.
  exchange_->set_base(in_.data());
  const std::uint64_t request_bytes =
      exchange_->parser().started() ? read_pos_ - exchange_->parser().request_offset() : 0;
  const CompletedRequest request{*exchange_, worker_.index(),
                                 error == RequestError::kNone ? exchange_->status() : info(error).status,
                                 response_bytes, request_bytes, exchange_->started(), Clock::now(), error};
  for (const auto& observer : app_->observers) observer->on_request(request);
}

void Connection::finish_exchange() {
  if (in_flight_) {
    in_flight_ = false;
    worker_.stats().in_flight.add(-1);
  }
  worker_.release_exchange(exchange_);
  exchange_ = nullptr;
  worker_.release_app(app_);
  app_ = nullptr;
  if (read_pos_ == in_.size()) {
    in_.clear();
    read_pos_ = 0;
    in_.release_if_large();
  }
}

bool Connection::make_room() {
  if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
  RequestParser& parser = exchange_->parser();
  const LimitsConfig& limits = worker_.config().limits;
  if (!parser.header_done()) {
    if (parser.request_offset() > 0) {
      // The request began behind earlier pipelined ones: move it to the front and parse it again
      // from its first byte (nothing of it was handed out yet), instead of growing the buffer.
      in_.erase_front(parser.request_offset());
      read_pos_ = 0;
      const Clock::time_point started = exchange_->started();
      exchange_->reset();
      exchange_->begin(&peer_, &worker_, worker_.index());
      exchange_->set_started(started);
      if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
    }
  } else if (exchange_->head().chunked) {
    // Chunks are decoded in place: reclaim the framing bytes between the decoded body and the
    // unparsed rest, so the buffer stays within header + body limits.
    const Span body = exchange_->head().body;
    const std::size_t body_end = body.offset + body.size;
    if (read_pos_ > body_end) {
      std::size_t rest = in_.size() - read_pos_;
      std::memmove(in_.data() + body_end, in_.data() + read_pos_, rest);
      in_.resize_down(body_end + rest);
      read_pos_ = body_end;
    }
    if (in_.size() - read_pos_ > limits.max_header_bytes) return false;  // endless chunk line
    if (in_.capacity() - in_.size() >= kMinReadRoom) return true;
  }
  const std::size_t bound = limits.max_header_bytes + limits.max_body_bytes + 2 * kMinReadRoom;
  if (in_.size() + kMinReadRoom > bound) return false;
  in_.prepare(kMinReadRoom);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Socket I/O

void Connection::on_events(std::uint32_t events) {
  if (closed_) return;
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) readable_ = true;
  if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) eof_pending_ = true;
  turn_reads_ = 0;
  if (waiting_ == Await::kOutput) {
    // Only an edge after the write blocked can say there is room (or that the peer is gone).
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) == 0) return;
    waiting_ = Await::kNothing;
    on_writable();
    return;
  }
  if (waiting_ != Await::kInput || !readable_) return;
  waiting_ = Await::kNothing;
  if (lingering_) {
    discard_input();
    return;
  }
  switch (receive()) {
    case Input::kData:
      parked_ = false;
      drive();
      return;
    case Input::kWait:
      waiting_ = Await::kInput;
      if (parked_) in_.release();  // a spurious wake-up: stay parked without a buffer
      return;
    case Input::kClosed:
      return;
  }
}

Connection::Input Connection::receive() {
  ++turn_reads_;
  for (;;) {
    if (!readable_) return Input::kWait;
    const std::size_t room = in_.writable(kMinReadRoom);
    const ssize_t n = ::recv(fd_, in_.data() + in_.size(), room, 0);
    if (n > 0) {
      // nginx's `ready` flag: a read that did not fill the room drained the socket, so the next
      // one waits for an edge instead of costing a system call for EAGAIN. Unless a FIN is
      // queued behind the data (EPOLLRDHUP came): no edge would announce it, read on.
      if (static_cast<std::size_t>(n) < room && !eof_pending_) readable_ = false;
      in_.commit(static_cast<std::size_t>(n));
      return Input::kData;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      readable_ = false;
      return Input::kWait;
    }
    end_of_input(n == 0 ? 0 : errno);
    return Input::kClosed;
  }
}

void Connection::end_of_input(int error) {
  if (lingering_) {
    close(close_reason_);
    return;
  }
  if (request_in_progress()) {
    worker_.stats().rejected[static_cast<std::size_t>(RequestError::kPartialMessage)].add();
    worker_.log().debug("{} port {}: connection closed in the middle of a request",
                        peer_.ip_string(), peer_.port);
  }
  const bool client_gone = error == 0 || error == ECONNRESET || error == EPIPE;
  close(client_gone ? CloseReason::kClient : CloseReason::kError);
}

void Connection::discard_input() {
  for (;;) {
    in_.clear();
    read_pos_ = 0;
    const Input input = receive();
    if (input == Input::kClosed) return;
    if (input == Input::kWait) {
      waiting_ = Await::kInput;
      return;
    }
    if (turn_reads_ >= kReadsPerTurn) {
      waiting_ = Await::kInput;
      worker_.poller().post(*this);
      return;
    }
  }
}

bool Connection::write_out() {
  bool progress = false;
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      out_pos_ += static_cast<std::size_t>(n);
      sent_since_wait_ += static_cast<std::uint64_t>(n);
      progress = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable(progress);
    close(errno == EPIPE || errno == ECONNRESET ? CloseReason::kClient : CloseReason::kError);
    return false;
  }
  // Everything is written: the buffer goes back to the pool (the next response takes the warmest
  // free one), so a connection between requests holds its read buffer only.
  out_.release();
  out_pos_ = 0;
  queued_ = 0;
  if (file_.fd >= 0 && !send_file()) return false;
  send_waited_ = {};  // all written: the next wait is judged on its own
  return true;
}

bool Connection::send_file() {
  bool progress = false;
  while (file_.length > 0) {
    off_t offset = static_cast<off_t>(file_.offset);
    const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(file_.length, 1 << 30));
    ssize_t n = ::sendfile(fd_, file_.fd, &offset, chunk);
    if (n > 0) {
      file_.offset += static_cast<std::uint64_t>(n);
      file_.length -= static_cast<std::uint64_t>(n);
      sent_since_wait_ += static_cast<std::uint64_t>(n);
      progress = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait_writable(progress);
    // 0: the file shrank under us; the announced length can no longer be honoured.
    worker_.log().warn("{} port {}: sending a file failed: {}", peer_.ip_string(), peer_.port,
                       n == 0 ? "file truncated" : std::strerror(errno));
    close(n == 0 ? CloseReason::kError
                 : (errno == EPIPE || errno == ECONNRESET ? CloseReason::kClient : CloseReason::kError));
    return false;
  }
  close_file();
  return true;
}

bool Connection::wait_writable(bool progress) {
  if (send_waited_ == Clock::time_point{}) {
    send_waited_ = Clock::now();
    sent_since_wait_ = 0;
  } else if (progress && reader_too_slow()) {
    worker_.log().info("{} port {}: closing a client that reads its response too slowly "
                       "(timeouts.send_min_bytes_per_s)", peer_.ip_string(), peer_.port);
    close(CloseReason::kReaderTooSlow);
    return false;
  }
  // The write timeout is the longest pause without progress.
  if (progress || static_cast<Wait>(DeadlineHook::list) != Wait::kWrite) {
    worker_.arm(*this, Wait::kWrite);
  }
  // The send buffer is full: EPOLLOUT's next edge says when it has room again.
  waiting_ = Await::kOutput;
  if (!output_watched_) {
    output_watched_ = true;
    if (boost::system::error_code ec = worker_.poller().watch_output(fd_, *this)) {
      worker_.log().warn("{} port {}: cannot wait for the socket to drain: {}", peer_.ip_string(),
                         peer_.port, ec.message());
      close(CloseReason::kError);
    }
  }
  return false;
}

void Connection::close_file() {
  if (file_.fd >= 0) ::close(file_.fd);
  file_ = {};
}

void Connection::on_writable() {
  if (!write_out()) return;
  worker_.disarm(*this);
  drive();
}

void Connection::wait_for_input() {
  const auto current = static_cast<Wait>(DeadlineHook::list);
  if (exchange_ == nullptr) {
    if (requests_ == 0) {
      if (current != Wait::kHeader) worker_.arm(*this, Wait::kHeader);
    } else if (idle_since_request_ != requests_ || (current != Wait::kIdle && current != Wait::kParked)) {
      // A new idle period begins after each response.
      idle_since_request_ = requests_;
      worker_.arm(*this, Wait::kIdle);
    }
  } else if (!exchange_->parser().header_done()) {
    if (current != Wait::kHeader) worker_.arm(*this, Wait::kHeader);
  } else {
    worker_.arm(*this, Wait::kBody);  // the body timeout is the longest pause between reads
  }
  waiting_ = Await::kInput;
}

// ---------------------------------------------------------------------------------------------
// Deadlines and closing

void Connection::park() {
  if (waiting_ != Await::kInput || parked_ || exchange_ != nullptr || lingering_) return;
  worker_.park(*this);
  parked_ = true;
  // Nothing is buffered while no request is in progress: readiness is waited for without memory.
  in_.release();
  out_.release();
  read_pos_ = 0;
}

void Connection::on_deadline(Wait what) {
  switch (what) {
    case Wait::kHeader:
      if (request_in_progress()) {
        time_out(CloseReason::kHeaderTimeout,
                 "request header not received in time (timeouts.header_ms)\n");
      } else {
        close(CloseReason::kHeaderTimeout);
      }
      return;
    case Wait::kBody:
      time_out(CloseReason::kBodyTimeout, "request body not received in time (timeouts.body_ms)\n");
      return;
    case Wait::kIdle:
    case Wait::kParked:
      close(CloseReason::kIdleTimeout);
      return;
    case Wait::kWrite:
      close(CloseReason::kWriteTimeout);
      return;
    case Wait::kLinger:
    case Wait::kNone:
    case Wait::kCount:
      close(close_reason_);
      return;
  }
}

void Connection::time_out(CloseReason reason, std::string_view message) {
  worker_.log().info("{} port {}: 408 Request Timeout: {}", peer_.ip_string(), peer_.port,
                     message.substr(0, message.size() - 1));
  out_.clear();
  out_pos_ = 0;
  worker_.writer().write_text(out_, 408, message, {.close = true});
  // One attempt: a client that is not sending is not waited for a second time.
  [[maybe_unused]] auto sent = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close(reason);
}

bool Connection::body_too_slow() const {
  const TimeoutsConfig& t = worker_.config().timeouts;
  if (t.body_min_bytes_per_s == 0) return false;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - body_started_);
  if (elapsed <= t.min_rate_grace) return false;
  const std::uint64_t ms = static_cast<std::uint64_t>(elapsed.count());
  return exchange_->parser().body_received() * 1000 < t.body_min_bytes_per_s * ms;
}

bool Connection::reader_too_slow() const {
  const TimeoutsConfig& t = worker_.config().timeouts;
  if (t.send_min_bytes_per_s == 0) return false;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - send_waited_);
  if (elapsed <= t.min_rate_grace) return false;
  const std::uint64_t ms = static_cast<std::uint64_t>(elapsed.count());
  return sent_since_wait_ * 1000 < t.send_min_bytes_per_s * ms;
}

bool Connection::close_if_idle(CloseReason reason) {
  const bool idle = !request_in_progress();
  if (!idle || out_pos_ < out_.size() || file_.fd >= 0 || lingering_ || closing_after_write_) {
    return false;
  }
  if (waiting_ == Await::kInput) {
    // A request may have arrived that no event has announced yet (a proxy reusing the
    // connection just now): one read tells. Served, its response closes the connection.
    readable_ = true;
    waiting_ = Await::kNothing;
    switch (receive()) {
      case Input::kData:
        drive();
        return false;
      case Input::kClosed:
        return true;
      case Input::kWait:
        break;
    }
  }
  close(reason);
  return true;
}

void Connection::abort(CloseReason reason) { close(reason); }

bool Connection::request_in_progress() const {
  // A partial request that make_room() moved to the front has a fresh parser that has not seen
  // it yet: its bytes still say a request has begun.
  return exchange_ != nullptr && (exchange_->parser().started() || read_pos_ < in_.size());
}

void Connection::begin_close(CloseReason reason) {
  if (!linger_) {
    close(reason);
    return;
  }
  // Half-close: the response is complete and the client sees FIN after it; whatever it still
  // sends is read and dropped until it closes too or the linger deadline passes.
  ::shutdown(fd_, SHUT_WR);
  lingering_ = true;
  close_reason_ = reason;
  worker_.arm(*this, Wait::kLinger);
  discard_input();
}

void Connection::close(CloseReason reason) {
  if (closed_) return;
  closed_ = true;
  waiting_ = Await::kNothing;
  worker_.disarm(*this);
  ::close(fd_);  // also leaves the epoll set: the descriptor is the socket's only one
  fd_ = -1;
  if (exchange_ != nullptr) {
    if (exchange_->deferred()) worker_.end_deferred(exchange_->deferred_slot());
    finish_exchange();
  }
  in_.release();
  out_.release();
  close_file();
  worker_.on_closed(reason);
  // From here the connection may be gone: callers return at once.
  worker_.destroy(this);
}

void Connection::set_nodelay() {
  // Set once a connection is reused: one request per connection (the common "close" case) never
  // pays for the system call, and pipelined or keep-alive responses never wait for an ACK.
  nodelay_ = true;
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace surge::detail
