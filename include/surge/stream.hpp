#pragma once
// Answering later on the request's own worker, and bodies read or written piece by piece.

#include <cstdint>
#include <limits>
#include <string_view>

namespace surge {

class Context;
namespace detail {
class Exchange;
class Worker;
}  // namespace detail

/// A request answered later by code running on its own worker thread (an upstream's answer, one
/// of the worker's timers): no lock, no post, no allocation. Obtained from Context::suspend() or
/// Context::read_body(); used on the request's worker only (other threads: Context::defer()).
/// Copyable: every copy names the same waiting request.
class Suspension final {
 public:
  Suspension() = default;
  /// Whether the request still waits: not answered yet, not past its deadline (then it got a
  /// 504), its connection not gone.
  bool active() const;
  /// The request's context, to fill the response. Only while active().
  Context& context() const;
  /// Sends what was put into context().response(); a streamed body (Context::stream_body)
  /// starts now. Does nothing unless active().
  void resume() const;
  /// A request body read with a BodyReader that paused (on_data returned false): read on.
  void read_more() const;

 private:
  friend class Context;
  Suspension(detail::Worker* worker, detail::Exchange* exchange, std::uint32_t slot,
             std::uint32_t generation)
      : worker_(worker), exchange_(exchange), slot_(slot), generation_(generation) {}
  detail::Worker* worker_ = nullptr;
  detail::Exchange* exchange_ = nullptr;
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
};

/// Writes into a response body that a BodyWriter produces piece by piece. Worker thread only.
/// A handle kept after its response ended (or was cancelled) writes nothing: its calls are
/// ignored, never applied to a later request.
class ResponseStream final {
 public:
  /// Appends a piece (framed as a chunk when the length is unknown). false: the client is
  /// behind; stop until BodyWriter::on_writable is called again.
  bool write(std::string_view piece);
  /// The body is complete.
  void end();
  /// The body cannot be completed: the connection closes before the body's end, so the client
  /// never takes a short body for a complete one.
  void abort();

 private:
  friend class detail::Exchange;
  ResponseStream(detail::Exchange& exchange, std::uint64_t serial) : ex_(&exchange), serial_(serial) {}
  bool live() const;
  detail::Exchange* ex_;
  std::uint64_t serial_;  // the request it was made for (exchanges are pooled and reused)
};

/// Produces a response body after the handler returned (Context::stream_body). It must stay
/// alive until it calls end() or abort(), or until on_cancel(). Worker thread only.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  /// The client can take more: write until write() returns false, or end the body.
  virtual void on_writable(ResponseStream& stream) = 0;
  /// The response will not be completed (the client went away, the server shuts down): stop.
  virtual void on_cancel() {}
};

/// Takes a request body as it arrives (a route with RouteOptions::stream_body, whose handler runs
/// once the header is complete and calls Context::read_body). It must stay alive until on_end()
/// or on_cancel(). Worker thread only.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  /// The next piece of the decoded body, valid only during the call. false: pause; nothing more
  /// is read (the client is held back by TCP) until Suspension::read_more().
  virtual bool on_data(std::string_view piece) = 0;
  /// The body is complete: answer through the Suspension that read_body() returned.
  virtual void on_end() = 0;
  /// The request is over without an answer (the client went away, a bad chunk, a timeout).
  virtual void on_cancel() {}
};

/// The length of a streamed body that is not known in advance: it goes out with chunked transfer
/// coding (to an HTTP/1.0 client, until the connection closes).
inline constexpr std::uint64_t kUnknownLength = std::numeric_limits<std::uint64_t>::max();

}  // namespace surge
