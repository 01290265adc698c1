#pragma once
// ConnectionModel: an Http1Session's read side without a socket, a worker or a clock. It drives
// the real RequestInput, RequestParser and Exchange the way src/server/http1_session.cpp does, so
// a fuzz target exercises the session's buffer handling as it is, not a copy of it.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <surge/peer.hpp>

#include "http/exchange.hpp"
#include "http/exchange_owner.hpp"
#include "http/request_error.hpp"
#include "http/request_parser.hpp"
#include "memory/slab_pool.hpp"
#include "server/request_input.hpp"

namespace surge::fuzz {

struct ModelLimits {
  detail::ParserLimits parser;      // limits.* as the worker passes them to every parser
  std::size_t buffer_bytes = 4096;  // pools.buffer_bytes: the pooled read buffer's size
  /// A route's max_body_bytes (0: none), applied at header time as RouterApp::on_header does.
  std::uint64_t route_max_body_bytes = 0;
  /// The route takes its body as it arrives (RouteMatch::streams_body): its handler runs at
  /// header time and gets the body piece by piece.
  bool route_streams_body = false;
};

/// One request the connection handed to its application, as the handler saw it.
struct ServedRequest {
  std::string method;
  std::string target;
  std::uint8_t version = 0;
  bool keep_alive = false;
  bool chunked = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // a streamed body: its pieces, concatenated
  bool operator==(const ServedRequest&) const = default;
};

/// What a connection made of a byte stream.
struct Outcome {
  std::vector<ServedRequest> served;
  detail::RequestError error = detail::RequestError::kNone;  // the refusal that closed it, if any
  bool closed_by_response = false;                           // a response said "Connection: close"
  bool partial = false;       // the stream ended in the middle of a request
  std::size_t continues = 0;  // "100 Continue" responses written
};

/// Reads `stream` as Http1Session::drive()/process() do, through a RequestInput: pipelined
/// requests parsed one after another in place, RequestInput::make_room() when more input is
/// needed (a partial request moved to the front and parsed again, chunk framing reclaimed),
/// reserve_body() at header time, "100 Continue" when the client waits for it, and for a route
/// that streams its body, each decoded piece handed to the handler's task and taken with
/// consume_body(). The stream reaches the socket in pieces (`arrivals`, then the rest at once);
/// each read takes what is there, at most read_room(), as recv(2) does.
///
/// Every step checks (fuzz_check.hpp): spans inside the buffer, never more consumed than given,
/// bodies within their limits and equal to what the client framed (a streamed body's pieces
/// concatenated), a complete request with a valid head, views unchanged when the buffer moves,
/// the route's limit in force when it is above the server's, no body within its limit refused as
/// too large, and while a body streams, a buffer bounded by the header and one read room, not by
/// the body.
class ConnectionModel final : private detail::ExchangeTask {
 public:
  ConnectionModel(const ModelLimits& limits, std::string_view stream);
  ConnectionModel(const ConnectionModel&) = delete;
  ConnectionModel& operator=(const ConnectionModel&) = delete;

  Outcome run(std::span<const std::size_t> arrivals);

 private:
  enum class Step { kContinue, kFlush, kNeedInput, kClose };

  // The session's steps, in its words (http1_session.cpp).
  Step process();
  Step on_header_complete();
  Step dispatch();
  Step deliver_body();
  Step respond();
  Step reject(detail::RequestError error);
  Step need_input();
  detail::RequestError app_on_header();
  void finish_exchange();
  void receive(std::size_t available_end);
  bool streaming() const { return in_flight_ && exchange_.route().streams_body; }

  // The handler's task on a route that streams its body (ExchangeTask).
  bool on_request_body(std::string_view piece) override;
  void on_request_body_end() override;
  void on_cancelled() override {}

  // Invariants (connection_model_checks.cpp).
  void snapshot_header();
  void check_after_parse();
  void check_head_spans();
  void check_complete_request(std::string_view body);
  void check_refusal_for_size();
  void check_streaming_memory();
  std::uint64_t body_limit() const;

  const ModelLimits limits_;
  std::string_view stream_;
  detail::SlabPool pool_;
  detail::RequestInput input_;
  detail::Exchange exchange_;
  PeerAddress peer_{};
  bool active_ = false;     // exchange_ is in use (the session's exchange_ != nullptr)
  bool in_flight_ = false;  // its header was handled (the session's Phase::kServing)
  Outcome outcome_;

  // Where the buffer's bytes came from: stream offset of buffer offset p is shift_ + p, for every
  // p from input_.position() on. RequestInput keeps the unparsed rest when it moves bytes (its
  // contract); the model follows each move by where position() went.
  std::size_t shift_ = 0;
  std::size_t taken_ = 0;  // stream bytes read into the buffer so far

  // Taken when the header was handled, checked when the request is answered.
  struct Snapshot {
    std::vector<std::pair<detail::Span, std::string>> spans;
    std::size_t body_stream_offset = 0;
    std::uint64_t route_limit = 0;
    std::size_t capacity = 0;  // the buffer's capacity then
    std::string streamed;      // a streamed body's pieces so far
  };
  Snapshot snapshot_;
};

}  // namespace surge::fuzz
