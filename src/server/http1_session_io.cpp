// Http1Session: socket input and output, deadlines and closing. Serving requests is in
// http1_session.cpp.
#include <sys/epoll.h>

#include <spdlog/logger.h>

#include "server/http1_session.hpp"
#include "server/worker.hpp"

namespace surge::detail {

// ---------------------------------------------------------------------------------------------
// Events

void Http1Session::on_events(std::uint32_t events) {
  if (phase_ == Phase::kClosed) return;
  socket_.note(events);
  turn_reads_ = 0;
  if (waiting_ == Await::kOutput) {
    // Only an edge after the write blocked can say there is room (or that the peer is gone).
    if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) == 0) return;
    waiting_ = Await::kNothing;
    on_writable();
    return;
  }
  if (waiting_ != Await::kInput) {
    // Answering, or a paused body: input waits. A client that went away cancels the work.
    if (socket_.end_pending() && exchange_ != nullptr) client_may_be_gone();
    return;
  }
  if (!socket_.readable()) return;
  waiting_ = Await::kNothing;
  if (phase_ == Phase::kLingering) {
    discard_input();
    return;
  }
  switch (receive()) {
    case Input::kData:
      if (phase_ == Phase::kParked) phase_ = Phase::kIdle;
      drive();
      return;
    case Input::kWait:
      waiting_ = Await::kInput;
      if (phase_ == Phase::kParked) input_.release_if_empty();  // a spurious wake-up: stay parked
      return;
    case Input::kClosed:
      return;
  }
}

void Http1Session::client_may_be_gone() {
  // nginx's check for a broken connection while it waits on an upstream: an end with nothing
  // before it means the client left (a pipelined request behind it would be data).
  if (!socket_.peer_closed()) return;
  worker_.log().debug("{} port {}: the client closed the connection while its request was answered",
                      peer_.ip_string(), peer_.port);
  close(CloseReason::kClient);
}

// ---------------------------------------------------------------------------------------------
// Input

Http1Session::Input Http1Session::receive() {
  ++turn_reads_;
  std::size_t room = 0;
  char* into = input_.read_room(room);
  const IoResult r = socket_.receive(into, room);
  switch (r.status) {
    case IoStatus::kDone:
      input_.commit(r.bytes);
      return Input::kData;
    case IoStatus::kWouldBlock:
      return Input::kWait;
    case IoStatus::kEnd:
      end_of_input(0);
      return Input::kClosed;
    case IoStatus::kError:
      end_of_input(r.error);
      return Input::kClosed;
  }
  return Input::kClosed;
}

void Http1Session::end_of_input(int error) {
  if (phase_ == Phase::kLingering) {
    close(close_reason_);
    return;
  }
  if (request_in_progress()) {
    worker_.stats().rejected[static_cast<std::size_t>(RequestError::kPartialMessage)].add();
    worker_.log().debug("{} port {}: connection closed in the middle of a request", peer_.ip_string(),
                        peer_.port);
  }
  const bool client_gone = error == 0 || error == ECONNRESET || error == EPIPE;
  close(client_gone ? CloseReason::kClient : CloseReason::kError);
}

void Http1Session::discard_input() {
  for (;;) {
    input_.clear();
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

void Http1Session::wait_for_input() {
  if (exchange_ == nullptr) {
    if (requests_ == 0) {
      if (wait_ != Wait::kHeader) arm(Wait::kHeader);
    } else if (idle_since_request_ != requests_ || (wait_ != Wait::kIdle && wait_ != Wait::kParked)) {
      // A new idle period begins after each response.
      idle_since_request_ = requests_;
      arm(Wait::kIdle);
    }
  } else if (phase_ == Phase::kHead) {
    if (wait_ != Wait::kHeader) arm(Wait::kHeader);
  } else {
    arm(Wait::kBody);  // the body timeout is the longest pause between reads
  }
  waiting_ = Await::kInput;
}

// ---------------------------------------------------------------------------------------------
// Output

bool Http1Session::write_out() {
  bool progress = false;
  switch (out_.flush(socket_, progress)) {
    case SessionOutput::Flushed::kAll:
      queued_ = 0;
      send_waited_ = {};  // all written: the next wait is judged on its own
      return true;
    case SessionOutput::Flushed::kBlocked:
      return wait_writable(progress);
    case SessionOutput::Flushed::kPeerGone:
      close(CloseReason::kClient);
      return false;
    case SessionOutput::Flushed::kError:
      close(CloseReason::kError);
      return false;
    case SessionOutput::Flushed::kFileShort:
      // The file shrank under us: the announced length can no longer be honoured.
      worker_.log().warn("{} port {}: sending a file failed: file truncated", peer_.ip_string(), peer_.port);
      close(CloseReason::kError);
      return false;
  }
  return false;
}

bool Http1Session::wait_writable(bool progress) {
  sent_since_wait_ += out_.take_sent();
  if (send_waited_ == Clock::time_point{}) {
    send_waited_ = worker_.now();
    sent_since_wait_ = 0;
  } else if (progress && reader_too_slow()) {
    worker_.log().info("{} port {}: closing a client that reads its response too slowly "
                       "(timeouts.send_min_bytes_per_s)", peer_.ip_string(), peer_.port);
    close(CloseReason::kReaderTooSlow);
    return false;
  }
  // The write timeout is the longest pause without progress.
  if (progress || wait_ != Wait::kWrite) arm(Wait::kWrite);
  // The send buffer is full: EPOLLOUT's next edge says when it has room again.
  waiting_ = Await::kOutput;
  if (boost::system::error_code ec = socket_.watch_output()) {
    worker_.log().warn("{} port {}: cannot wait for the socket to drain: {}", peer_.ip_string(), peer_.port,
                       ec.message());
    close(CloseReason::kError);
  }
  return false;
}

bool Http1Session::reader_too_slow() const {
  const TimeoutsConfig& t = worker_.config().timeouts;
  if (t.send_min_bytes_per_s == 0) return false;
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(worker_.now() - send_waited_);
  if (elapsed <= t.min_rate_grace) return false;
  const auto ms = static_cast<std::uint64_t>(elapsed.count());
  return sent_since_wait_ * 1000 < t.send_min_bytes_per_s * ms;
}

void Http1Session::on_writable() {
  if (!write_out()) return;
  arm(Wait::kNone);
  // The client took the streamed body so far: the task writes more (or ends it).
  if (stream_.active && (!let_task_write() || stream_.active)) return;
  drive();
}

bool Http1Session::let_task_write() {
  stream_.started = true;
  for (;;) {
    stream_.told_to_stop = false;
    call_out([this] { exchange_->async().task->on_response_writable(); });
    if (phase_ == Phase::kClosed) return false;
    // What the task wrote meanwhile goes out now (write_body does not write from inside a call
    // out). When the socket takes all of it, no writable edge will come: a task told to stop is
    // told to go on here instead, or the stream would stall.
    if (out_.pending() && !write_out()) return false;
    if (!stream_.active || !stream_.told_to_stop) return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Deadlines and closing

void Http1Session::arm(Wait what) {
  wait_ = what;
  if (what == Wait::kNone) {
    disarm();
    return;
  }
  worker_.arm(*this, what);
}

void Http1Session::park() {
  if (waiting_ != Await::kInput || phase_ != Phase::kIdle || exchange_ != nullptr) return;
  worker_.park(*this);
  wait_ = Wait::kParked;
  phase_ = Phase::kParked;
  // Nothing is buffered while no request is in progress: readiness is waited for without memory.
  input_.release();
  out_.release_if_empty();
}

void Http1Session::on_deadline() {
  const Wait what = wait_;
  wait_ = Wait::kNone;
  switch (what) {
    case Wait::kHeader:
      if (request_in_progress()) {
        time_out(CloseReason::kHeaderTimeout, "request header not received in time (timeouts.header_ms)\n");
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

void Http1Session::time_out(CloseReason reason, std::string_view message) {
  worker_.log().info("{} port {}: 408 Request Timeout: {}", peer_.ip_string(), peer_.port,
                     message.substr(0, message.size() - 1));
  out_.discard();
  worker_.writer().write_text(out_.buffer(), 408, message, {.close = true});
  // One attempt: a client that is not sending is not waited for a second time.
  bool progress = false;
  out_.flush(socket_, progress);
  close(reason);
}

bool Http1Session::close_if_idle(CloseReason reason) {
  if (request_in_progress() || out_.pending() || phase_ == Phase::kLingering || phase_ == Phase::kClosing ||
      phase_ == Phase::kClosed) {
    return false;
  }
  if (waiting_ == Await::kInput) {
    // A request may have arrived that no event has announced yet (a proxy reusing the
    // connection just now): one read tells. Served, its response closes the connection.
    socket_.assume_readable();
    waiting_ = Await::kNothing;
    switch (receive()) {
      case Input::kData:
        if (phase_ == Phase::kParked) phase_ = Phase::kIdle;
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

void Http1Session::abort(CloseReason reason) { close(reason); }

void Http1Session::begin_close(CloseReason reason) {
  if (!linger_) {
    close(reason);
    return;
  }
  // Half-close: the response is complete and the client sees FIN after it; whatever it still
  // sends is read and dropped until it closes too or the linger deadline passes.
  socket_.shutdown_write();
  phase_ = Phase::kLingering;
  close_reason_ = reason;
  arm(Wait::kLinger);
  discard_input();
}

void Http1Session::close(CloseReason reason) {
  if (phase_ == Phase::kClosed) return;
  const bool was_serving = phase_ == Phase::kServing;
  phase_ = Phase::kClosed;
  waiting_ = Await::kNothing;
  arm(Wait::kNone);
  socket_.close();
  if (exchange_ != nullptr) {
    cancel_task();
    if (exchange_->async().pending) worker_.end_pending(exchange_->async().slot);
    if (was_serving) worker_.stats().in_flight.add(-1);
    worker_.release_exchange(exchange_);
    exchange_ = nullptr;
    worker_.release_app(app_);
    app_ = nullptr;
  }
  input_.release();
  out_.discard();
  worker_.on_closed(*this, reason);
  // From here the session may be gone: callers return at once.
  worker_.destroy(this);
}

}  // namespace surge::detail
