// Http1Session: parsing, dispatching and answering requests. Socket I/O, deadlines and closing
// are in http1_session_io.cpp. Longer than the project's usual file: the serving loop and the
// ExchangeOwner side (deferred answers, streamed bodies in both directions) share the session's
// phase and must be read together; splitting them would put one state machine in two files.
#include "server/http1_session.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>

#include <spdlog/logger.h>

#include <surge/status.hpp>

#include "http/exception_text.hpp"
#include "server/worker.hpp"

namespace surge::detail {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Pipelined responses are written once this many bytes are waiting, whatever their number.
constexpr std::size_t kFlushBytes = 64 * 1024;
// A streamed response body's task is told to stop writing beyond this much unsent output.
constexpr std::size_t kStreamHighWater = 64 * 1024;

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

Http1Session::Http1Session(Worker& worker)
    : worker_(worker), input_(&worker.buffers()), out_(&worker.buffers()) {}

Http1Session::~Http1Session() {
  if (exchange_ != nullptr) worker_.release_exchange(exchange_);
}

void Http1Session::adopt(int fd, error_code& ec) { ec = socket_.open(fd, worker_.poller(), *this); }

void Http1Session::start(const asio::ip::tcp::endpoint& peer) {
  peer_ = to_peer(peer);
  worker_.on_open(*this);
  // The first request must arrive within the header timeout. Not read yet: if it is there
  // already, registering the socket reported it, so no read is tried in vain (nginx does the same).
  wait_for_input();
}

void Http1Session::refuse() {
  worker_.on_open(*this);
  worker_.writer().write_text(out_.buffer(), 503,
                              "too many connections (limits.max_connections_per_worker)\n",
                              {.close = true});
  // One attempt, never waited for: a connection over the limit gets no resources.
  bool progress = false;
  out_.flush(socket_, progress);
  close(CloseReason::kLimit);
}

// ---------------------------------------------------------------------------------------------
// The serving loop

void Http1Session::drive() {
  for (;;) {
    Step step = phase_ == Phase::kClosing ? Step::kClose : process();
    if (step == Step::kClosed) return;
    if (step == Step::kClose) phase_ = Phase::kClosing;
    // write_out() returning false means the session now waits for the socket, or is closed (and
    // possibly freed): either way nothing here may be touched any more.
    if (out_.pending() && !write_out()) return;
    // A streamed body's head is out (or queued behind others): its task writes the first pieces.
    if (stream_.active && !stream_.started && !let_task_write()) return;
    if (step == Step::kClose) {
      begin_close(close_reason_);
      return;
    }
    if (step == Step::kWait) return;
    if (step == Step::kNeedInput) {
      if (socket_.readable() && turn_reads_ >= kReadsPerTurn) {
        // More input may be waiting, but other sessions get their turn first.
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

Http1Session::Step Http1Session::process() {
  for (;;) {
    if (exchange_ == nullptr) {
      if (input_.drained()) return Step::kNeedInput;
      exchange_ = worker_.acquire_exchange();
      exchange_->begin(&peer_, &worker_, worker_.index());
      exchange_->async().owner = this;
      app_ = worker_.acquire_app();
      phase_ = Phase::kHead;
      if (!app_->observers.empty()) exchange_->set_started(worker_.now());
    }
    if (phase_ == Phase::kServing) {
      // A deferred answer or a streamed body on its way: the socket's events drive it, not input.
      if (answer_pending()) return Step::kWait;
      if (exchange_->route().streams_body && !exchange_->async().pending) {
        // The task answered while the body was still being read, or once it ended.
        return respond(!exchange_->parser().done());
      }
    }
    if (body_paused_) return Step::kWait;
    RequestParser& parser = exchange_->parser();
    error_code ec;
    input_.parse(parser, ec);
    if (ec && !needs_more(ec)) return reject(classify(ec));
    if (phase_ == Phase::kHead && parser.header_done()) {
      phase_ = Phase::kServing;
      if (Step step = on_header_complete(); step != Step::kContinue) return step;
      if (exchange_ == nullptr) continue;  // answered at once at header time
    }
    if (feeding_body_) {
      // A task takes the body as it arrives: what was parsed goes to it, its end too.
      if (Step step = deliver_body(); step != Step::kContinue) return step;
      if (!feeding_body_ || !needs_more(ec)) continue;
    } else if (parser.done()) {
      if (Step step = dispatch(); step != Step::kContinue) return step;
      continue;
    } else if (!needs_more(ec)) {
      continue;
    }
    if (!parser.started()) {
      // Only empty lines so far: not a request yet, the connection is still idle.
      finish_exchange();
      return Step::kNeedInput;
    }
    if (parser.header_done() && body_too_slow()) {
      time_out(CloseReason::kBodyTooSlow, "request body arrived too slowly (timeouts.body_min_bytes_per_s)\n");
      return Step::kClosed;
    }
    if (!make_room()) {
      return reject(parser.header_done() ? RequestError::kBodyTooLarge : RequestError::kHeaderTooLarge);
    }
    return Step::kNeedInput;
  }
}

Http1Session::Step Http1Session::on_header_complete() {
  RequestParser& parser = exchange_->parser();
  worker_.stats().in_flight.add(1);
  const RequestHead& head = parser.head();
  exchange_->set_base(input_.data());
  if (RequestError e = app_->app->on_header(*exchange_); e != RequestError::kNone) return reject(e);
  // The parser judges a Content-Length against the route's limit only when the body begins:
  // refuse it now, before a handler that takes the body as it arrives is called.
  if (head.has_content_length && head.content_length > parser.max_body()) return reject(RequestError::kBodyTooLarge);
  if (exchange_->route().streams_body) {
    // The handler runs now and takes the body as it arrives; the header stays where it is.
    if (!parser.done()) body_started_ = worker_.now();
    return dispatch();
  }
  if (parser.done()) return Step::kContinue;
  body_started_ = worker_.now();
  input_.reserve_body(parser);
  if (head.expect_continue && input_.drained()) {
    // RFC 9110 10.1.1: the client waits for this before sending the body we are going to read.
    ResponseWriter::write_continue(out_.buffer());
    return Step::kFlush;
  }
  return Step::kContinue;
}

Http1Session::Step Http1Session::dispatch() {
  exchange_->set_base(input_.data());
  call_out([this] { run_handler([this] { app_->app->handle(*exchange_); }); });
  if (phase_ == Phase::kClosed) return Step::kClosed;
  const RequestParser& parser = exchange_->parser();
  if (!exchange_->async().pending) return respond(!parser.done());
  // Nothing to send yet; the worker's table of pending answers holds the deadline.
  arm(Wait::kNone);
  if (exchange_->route().streams_body && exchange_->async().task != nullptr) {
    // The task takes the body as it arrives (its end at once when there is none): read on.
    feeding_body_ = true;
    if (!parser.done() && exchange_->head().expect_continue && input_.drained()) {
      ResponseWriter::write_continue(out_.buffer());
      return Step::kFlush;
    }
    return Step::kContinue;
  }
  return Step::kWait;
}

Http1Session::Step Http1Session::deliver_body() {
  RequestParser& parser = exchange_->parser();
  const Span body = exchange_->head().body;
  if (body.size > 0) {
    exchange_->set_base(input_.data());
    bool more = true;
    call_out([&] { more = exchange_->async().task->on_request_body(exchange_->view(body)); });
    if (phase_ == Phase::kClosed) return Step::kClosed;
    // Taken: the unparsed rest moves down over it, so a streamed body never grows the buffer.
    input_.consume_body(parser);
    if (!more) body_paused_ = true;
  }
  if (parser.done()) {
    feeding_body_ = false;
    if (exchange_->async().task != nullptr) {
      call_out([this] { exchange_->async().task->on_request_body_end(); });
      if (phase_ == Phase::kClosed) return Step::kClosed;
    }
  }
  return Step::kContinue;
}

bool Http1Session::answer_pending() const {
  // A pending answer whose task takes the body as it arrives still reads that body.
  return stream_.active || (exchange_->async().pending && !feeding_body_);
}

template <class Call>
void Http1Session::run_handler(Call&& call) {
  // The recover middleware normally turns exceptions into 500s; this is the last line.
  std::array<char, kMaxExceptionText> buffer{};
  std::string_view text;
  try {
    call();
    return;
  } catch (const std::exception& e) {
    text = exception_text(e.what(), buffer);
  } catch (...) {
    text = "non-standard exception";
  }
  std::string_view id = exchange_->request_id();
  const RouteMatch& route = exchange_->route();
  worker_.log().error("unhandled exception in handler: {} (request_id={} route={} method={} path={})", text,
                      id.empty() ? "-" : id, route.pattern.empty() ? "-" : route.pattern,
                      exchange_->context().request().method_name(), exchange_->context().request().path());
  cancel_task();
  if (exchange_->async().pending) worker_.end_pending(exchange_->async().slot);
  exchange_->async().pending = false;
  exchange_->response().clear();
  exchange_->context().text(500, "internal server error\n");
}

void Http1Session::resume(std::function<void(Context&)>& fill) {
  worker_.end_pending(exchange_->async().slot);
  exchange_->async().pending = false;
  run_handler([&] { fill(exchange_->context()); });
  if (exchange_->async().pending) return;  // the completion deferred again
  after_answer(!exchange_->parser().done());
}

void Http1Session::complete() {
  if (exchange_ == nullptr || !exchange_->async().pending) return;
  worker_.end_pending(exchange_->async().slot);
  exchange_->async().pending = false;
  if (calling_out_) return;  // the session answers once the call returns
  after_answer(!exchange_->parser().done());
}

void Http1Session::fail_pending(int status, std::string_view message) {
  worker_.end_pending(exchange_->async().slot);
  exchange_->async().pending = false;
  cancel_task();
  std::string_view id = exchange_->request_id();
  worker_.log().warn("{} port {}: {} {}: {} (request_id={})", peer_.ip_string(), peer_.port, status,
                     reason_phrase(status), message.substr(0, message.size() - 1), id.empty() ? "-" : id);
  exchange_->response().clear();
  exchange_->context().text(status, message);
  after_answer(!exchange_->parser().done());
}

void Http1Session::after_answer(bool body_unread) {
  body_paused_ = false;
  if (respond(body_unread) == Step::kClose) phase_ = Phase::kClosing;
  drive();
}

Http1Session::Step Http1Session::respond(bool body_unread) {
  feeding_body_ = false;  // an answer before the body's end: the rest is not read (linger)
  const RequestHead& head = exchange_->head();
  ResponseState& response = exchange_->response();
  ++requests_;
  worker_.stats().requests.add();
  exchange_->run_completion_calls();
  PooledStreamEncoder encoder;
  if (const CompressionPolicy* policy = exchange_->route().compression; policy != nullptr) {
    encoder = worker_.encoding().apply(*policy, *exchange_);
  }
  const std::uint64_t max_requests = worker_.config().limits.max_requests_per_connection;
  const bool stream = response.body_kind() == BodyKind::kStream;
  // A stream of unknown length to an HTTP/1.0 client ends with the connection.
  const bool ends_with_close = stream && response.stream_length() == ResponseState::kUnknownLength &&
                               head.version < 11;
  const bool close = !head.keep_alive || body_unread || response.close_requested() ||
                     worker_.retiring() || ends_with_close ||
                     (max_requests != 0 && requests_ >= max_requests);
  const bool head_request = head.method == Method::kHead;
  const std::size_t out_before = out_.buffer().size();
  worker_.writer().write(out_.buffer(), response,
                         {.head_request = head_request,
                          .close = close,
                          .http10_keep_alive = head.version == 10 && !close,
                          .chunked = head.version >= 11});
  ++queued_;
  const bool has_body = !head_request && !status_has_no_body(response.status());
  if (stream && has_body) {
    // The head goes out now; the task writes the body, and the exchange lives until it ends.
    stream_ = {true, response.stream_length() == ResponseState::kUnknownLength && head.version >= 11,
               close, out_.buffer().size() - out_before, false};
    encoder_ = std::move(encoder);
    linger_ = body_unread;
    return Step::kFlush;
  }
  // A file goes out after the bytes written so far, so nothing may be appended behind it before
  // it is sent: flush.
  const bool file = response.has_file_body() && has_body;
  if (!app_->observers.empty()) {
    observe(out_.buffer().size() - out_before + (file ? response.file_length() : 0), RequestError::kNone);
  }
  if (file) out_.set_file(response.take_file_body());
  if (stream) cancel_task();  // HEAD, 204, 304: no body will be written
  finish_exchange();
  if (close) {
    close_reason_ = CloseReason::kServer;
    // Unread input (a body we refused, pipelined requests after a close): read and discard it
    // for a while after the response, so the client is not reset before reading the response.
    linger_ = body_unread || !input_.drained();
    return Step::kClose;
  }
  if (requests_ >= 2) socket_.set_nodelay();
  if (file || queued_ >= worker_.config().limits.max_pipelined_responses ||
      out_.backlog() >= kFlushBytes) {
    return Step::kFlush;
  }
  return Step::kContinue;
}

bool Http1Session::write_body(std::string_view piece) {
  if (!stream_.active || phase_ == Phase::kClosed) return false;
  if (encoder_ != nullptr) {
    bool failed = false;
    piece = worker_.encoding().encode_piece(*encoder_, piece, failed);
    if (failed) {
      abort_body();
      return false;
    }
  }
  const std::size_t before = out_.buffer().size();
  if (stream_.chunked) {
    ResponseWriter::write_chunk(out_.buffer(), piece);
  } else {
    out_.buffer().append(piece);
  }
  stream_.bytes += out_.buffer().size() - before;
  // While the output waits for the socket, pieces pile up until the high mark says stop.
  // Waiting for the socket now (its writable edge tells the task to go on), or closed.
  if (waiting_ != Await::kOutput && !calling_out_ && !write_out()) return false;
  if (out_.backlog() < kStreamHighWater) return true;
  stream_.told_to_stop = true;
  return false;
}

void Http1Session::end_body() {
  if (!stream_.active || phase_ == Phase::kClosed) return;
  if (encoder_ != nullptr) {
    bool failed = false;
    const std::string_view tail = worker_.encoding().finish(*encoder_, failed);
    encoder_.reset();
    if (failed) {
      abort_body();
      return;
    }
    const std::size_t before = out_.buffer().size();
    if (stream_.chunked) {
      ResponseWriter::write_chunk(out_.buffer(), tail);
    } else {
      out_.buffer().append(tail);
    }
    stream_.bytes += out_.buffer().size() - before;
  }
  if (stream_.chunked) ResponseWriter::write_last_chunk(out_.buffer());
  const StreamedBody stream = stream_;
  stream_ = {};
  exchange_->async().task = nullptr;
  const bool body_unread = linger_;
  if (!app_->observers.empty()) observe(stream.bytes + (stream.chunked ? 5 : 0), RequestError::kNone);
  finish_exchange();
  if (stream.close) {
    close_reason_ = CloseReason::kServer;
    linger_ = body_unread || !input_.drained();
    phase_ = Phase::kClosing;
  }
  // Never from inside a call out, nor while the output waits: the session goes on from there.
  if (waiting_ != Await::kOutput && !calling_out_) drive();
}

void Http1Session::abort_body() {
  if (!stream_.active || phase_ == Phase::kClosed) return;
  stream_ = {};
  encoder_.reset();
  exchange_->async().task = nullptr;
  worker_.log().warn("{} port {}: closing before the end of a streamed response body", peer_.ip_string(),
                     peer_.port);
  close(CloseReason::kError);
}

bool Http1Session::switch_protocols(ProtocolSwitch& to) {
  // Never from inside a call out (the session's own code runs on after it), nor with a file of an
  // earlier pipelined response still to send (its bytes are not in the buffer to hand over).
  if (exchange_ == nullptr || !exchange_->async().pending || calling_out_ || out_.has_file() ||
      phase_ != Phase::kServing) {
    return false;
  }
  worker_.end_pending(exchange_->async().slot);
  exchange_->async().pending = false;
  exchange_->async().task = nullptr;  // the task is the caller, and goes on as the tunnel's maker
  ++requests_;
  worker_.stats().requests.add();
  exchange_->run_completion_calls();
  const std::size_t out_before = out_.buffer().size();
  // A 101 has no body and no framing: the head alone, without a Connection field of ours.
  worker_.writer().write(out_.buffer(), exchange_->response(), {});
  ++queued_;
  if (!app_->observers.empty()) observe(out_.buffer().size() - out_before, RequestError::kNone);
  // Whatever the client sent after the request is the new protocol's, and goes with the socket.
  const std::string_view unread(input_.data() + input_.position(), input_.size() - input_.position());
  const int fd = socket_.release();
  const bool taken = to.take_client(fd, out_.unsent(), unread);
  close(taken ? CloseReason::kUpgraded : CloseReason::kError);
  return true;
}

void Http1Session::resume_request_body() {
  if (!body_paused_ || phase_ == Phase::kClosed) return;
  body_paused_ = false;
  if (waiting_ != Await::kOutput && !calling_out_) drive();
}

Http1Session::Step Http1Session::reject(RequestError error) {
  const RequestErrorInfo& i = info(error);
  worker_.stats().rejected[static_cast<std::size_t>(error)].add();
  worker_.log().info("{} port {}: {} {}: {}", peer_.ip_string(), peer_.port, i.status,
                     reason_phrase(i.status), i.message);
  cancel_task();
  char body[160];
  std::size_t size = std::min(i.message.size(), sizeof(body) - 1);
  std::memcpy(body, i.message.data(), size);
  body[size++] = '\n';
  const std::size_t out_before = out_.buffer().size();
  worker_.writer().write_text(out_.buffer(), i.status, {body, size}, {.close = true});
  ++queued_;
  if (!app_->observers.empty()) observe(out_.buffer().size() - out_before, error);
  if (exchange_->async().pending) worker_.end_pending(exchange_->async().slot);
  finish_exchange();
  close_reason_ = i.status == 400 ? CloseReason::kBadRequest : CloseReason::kLimit;
  linger_ = true;
  return Step::kClose;
}

void Http1Session::observe(std::uint64_t response_bytes, RequestError error) {
  if (app_->observers.empty()) return;
  // The read buffer may have moved since the header was handled (it grows while a body is read):
  // the request's spans are offsets, so point them at where the bytes are now.
  exchange_->set_base(input_.data());
  const std::uint64_t request_bytes =
      exchange_->parser().started() ? input_.position() - exchange_->parser().request_offset() : 0;
  const CompletedRequest request{*exchange_,
                                 worker_.index(),
                                 error == RequestError::kNone ? exchange_->response().status()
                                                              : info(error).status,
                                 response_bytes,
                                 request_bytes,
                                 exchange_->started(),
                                 worker_.poller().refresh_time(),
                                 error};
  for (const auto& observer : app_->observers) observer->on_request(request);
}

void Http1Session::finish_exchange() {
  if (phase_ == Phase::kServing) worker_.stats().in_flight.add(-1);
  worker_.release_exchange(exchange_);
  exchange_ = nullptr;
  worker_.release_app(app_);
  app_ = nullptr;
  body_paused_ = false;
  feeding_body_ = false;
  if (phase_ == Phase::kHead || phase_ == Phase::kServing) phase_ = Phase::kIdle;
  input_.finish_request();
}

void Http1Session::cancel_task() {
  if (exchange_ == nullptr) return;
  ExchangeTask* task = exchange_->async().task;
  exchange_->async().task = nullptr;
  stream_ = {};
  encoder_.reset();
  if (task != nullptr) task->on_cancelled();
}

bool Http1Session::request_in_progress() const {
  // A partial request that make_room() moved to the front has a fresh parser that has not seen
  // it yet: its bytes still say a request has begun.
  return exchange_ != nullptr && (exchange_->parser().started() || !input_.drained());
}

bool Http1Session::make_room() {
  switch (input_.make_room(exchange_->parser(), worker_.config().limits.max_header_bytes)) {
    case RequestInput::Room::kReady:
      return true;
    case RequestInput::Room::kRestart: {
      // Parsed again from its first byte by a fresh parser: nothing of it was handed out yet.
      const Clock::time_point started = exchange_->started();
      exchange_->reset();
      exchange_->begin(&peer_, &worker_, worker_.index());
      exchange_->async().owner = this;
      exchange_->set_started(started);
      return true;
    }
    case RequestInput::Room::kFull:
      return false;
  }
  return false;
}

bool Http1Session::body_too_slow() const {
  const TimeoutsConfig& t = worker_.config().timeouts;
  if (t.body_min_bytes_per_s == 0 || body_paused_) return false;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(worker_.now() - body_started_);
  if (elapsed <= t.min_rate_grace) return false;
  const auto ms = static_cast<std::uint64_t>(elapsed.count());
  return exchange_->parser().body_received() * 1000 < t.body_min_bytes_per_s * ms;
}

}  // namespace surge::detail
