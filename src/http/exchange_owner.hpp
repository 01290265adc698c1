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

  /// A paused task takes request body again.
  virtual void resume_request_body() = 0;

 protected:
  ~ExchangeOwner() = default;
};

}  // namespace surge::detail
