#pragma once
// The interfaces between an exchange, the session serving it, and the code that answers it later
// or streams its bodies (a proxied request, a handler's stream).

#include <functional>
#include <string_view>

namespace surge {
class Context;
}

namespace surge::detail {

/// Code that works on an exchange after its handler returned: it answers later on this worker,
/// consumes the request body as it arrives, or produces the response body piece by piece.
/// Worker thread only.
class ExchangeTask {
 public:
  /// The next piece of a request body (a route that streams its body), valid only during the
  /// call. false: pause; nothing more is read until ExchangeOwner::resume_request_body().
  virtual bool on_request_body(std::string_view /*piece*/) { return true; }
  /// The request body is complete.
  virtual void on_request_body_end() {}
  /// The client took what was written of a streamed response body: write more, until a write
  /// says to stop, or end it.
  virtual void on_response_writable() {}
  /// The exchange ends without the task finishing it (the client went away or sent a bad body, a
  /// deadline passed, the server closes): forget it. Called at most once; nothing is called after,
  /// and the exchange is gone once it returns.
  virtual void on_cancelled() = 0;

 protected:
  ~ExchangeTask() = default;
};

/// Where a client connection goes when its exchange switches protocols (a proxied 101): from
/// then on it is no HTTP session's.
class ProtocolSwitch {
 public:
  /// Takes the client's socket: fd, still registered with the worker's poller (Socket::adopt),
  /// the bytes not yet written to it (the 101's head, at least) and the bytes read from it beyond
  /// the request (the new protocol's first bytes), both valid only during the call. false: it
  /// could not, and the descriptor was closed.
  virtual bool take_client(int fd, std::string_view unsent, std::string_view unread) = 0;

 protected:
  ~ProtocolSwitch() = default;
};

/// The session serving an exchange, as the exchange's asynchronous side sees it. Worker thread
/// only: other threads reach it through the worker's table of pending answers (Context::defer).
class ExchangeOwner {
 public:
  /// A deferred answer, on the worker: runs fill, then sends the response.
  virtual void resume(std::function<void(Context&)>& fill) = 0;
  /// The pending answer fails instead (its deadline passed, it was dropped).
  virtual void fail_pending(int status, std::string_view message) = 0;
  /// The handler (or its task) filled the response in place: send it. With a stream body, the
  /// head goes out now and the task writes the body.
  virtual void complete() = 0;

  /// Appends a piece of the streamed response body. false: the client is behind; stop until
  /// ExchangeTask::on_response_writable().
  virtual bool write_body(std::string_view piece) = 0;
  /// The streamed body is complete.
  virtual void end_body() = 0;
  /// The streamed body cannot be completed (an upstream died mid-body): the connection closes
  /// before the body's end, so the client never mistakes it for a complete one.
  virtual void abort_body() = 0;

  /// The response filled in place is a 101: its head is queued, the exchange ends, and the
  /// connection goes to `to` (ProtocolSwitch::take_client), within this call; the session is
  /// closed when it returns. False, with nothing changed, when the session cannot hand its
  /// connection over (a file of an earlier pipelined response is still being sent).
  virtual bool switch_protocols(ProtocolSwitch& to) = 0;

  /// A paused task takes request body again.
  virtual void resume_request_body() = 0;

 protected:
  ~ExchangeOwner() = default;
};

}  // namespace surge::detail
