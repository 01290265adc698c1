#pragma once
// ConnectionModel: the read side of src/server/connection.cpp without a socket, a worker or a
// clock, so a fuzz target can drive the request parser exactly as a connection does.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <surge/peer.hpp>

#include "http/exchange.hpp"
#include "http/request_error.hpp"
#include "http/request_parser.hpp"
#include "memory/byte_buffer.hpp"
#include "memory/slab_pool.hpp"

namespace surge::fuzz {

struct ModelLimits {
  detail::ParserLimits parser;      // limits.* as the worker passes them to every parser
  std::size_t buffer_bytes = 4096;  // pools.buffer_bytes: the pooled read buffer's size
  /// A route's max_body_bytes (0: none), applied at header time as RouterApp::on_header does.
  std::uint64_t route_max_body_bytes = 0;
};

/// One request the connection handed to its application, as the handler saw it.
struct ServedRequest {
  std::string method;
  std::string target;
  std::uint8_t version = 0;
  bool keep_alive = false;
  bool chunked = false;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
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

/// Reads `stream` as Connection::drive()/process()/make_room() do: one pooled read buffer that
/// grows, pipelined requests parsed one after another from it, a partial pipelined request moved
/// to the front, chunked framing compacted away, the buffer grown for a Content-Length body at
/// header time, "100 Continue" when the client waits for it. The stream reaches the socket in
/// pieces (`arrivals`, then the rest at once); each read takes what is there, at most the free
/// room, as recv(2) does. Every step checks the parser's invariants (fuzz_check.hpp): spans inside
/// the buffer, never more consumed than given, bodies within their limits and equal to what the
/// client framed, a complete request with a valid head, views unchanged when the buffer moves.
class ConnectionModel {
 public:
  ConnectionModel(const ModelLimits& limits, std::string_view stream);
  ConnectionModel(const ConnectionModel&) = delete;
  ConnectionModel& operator=(const ConnectionModel&) = delete;

  Outcome run(std::span<const std::size_t> arrivals);

 private:
  enum class Step { kContinue, kFlush, kNeedInput, kClose };

  // Connection's own steps, in its words.
  Step process();
  Step on_header_complete();
  Step dispatch();
  Step reject(detail::RequestError error);
  detail::RequestError app_on_header();
  void finish_exchange();
  bool make_room();
  void receive(std::size_t available_end);

  // Invariants.
  void check_after_parse(std::size_t begin, std::size_t used);
  void check_head_spans();
  void check_complete_request();
  std::uint64_t body_limit() const;

  const ModelLimits limits_;
  std::string_view stream_;
  detail::SlabPool pool_;
  detail::ByteBuffer in_;
  std::size_t read_pos_ = 0;
  detail::Exchange exchange_;
  PeerAddress peer_{};
  bool active_ = false;     // exchange_ is in use (the connection's exchange_ != nullptr)
  bool in_flight_ = false;  // its header was handled
  Outcome outcome_;

  // Where the buffer's bytes came from: stream offset of buffer offset p is shift_ + p, for every
  // p from the current request's unparsed bytes on (compaction and moves adjust it).
  std::size_t shift_ = 0;
  std::size_t taken_ = 0;  // stream bytes read into the buffer so far

  // Taken when the header was handled, checked when the request is dispatched.
  struct Snapshot {
    std::vector<std::pair<detail::Span, std::string>> spans;
    std::size_t body_stream_offset = 0;
    std::uint64_t route_limit = 0;
  };
  Snapshot snapshot_;
};

}  // namespace surge::fuzz
