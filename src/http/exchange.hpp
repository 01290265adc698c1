#pragma once
// Exchange: the engine's side of one request/response pair, and the storage behind Context.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <surge/context.hpp>

#include "http/request_parser.hpp"
#include "memory/arena.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

class Worker;

/// A path parameter bound by the router: the name comes from the frozen route table. A value
/// taken as it is from the request is kept as an offset into the read buffer, which may move
/// (grow, be compacted) before the handler runs, and is resolved against where the bytes are then;
/// a decoded value lives in the arena, which never moves.
struct PathParam {
  std::string_view name;
  std::string_view stable;  // arena or static bytes; empty when the value is in the read buffer
  Span in_buffer;
  bool buffered = false;
};

inline constexpr std::size_t kMaxPathParams = 16;

/// A file sent as the body with sendfile(2): owned (closed) by the exchange.
struct FileBody {
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// Pooled per worker and reused for request after request: reset() keeps the capacity of its
/// buffers, so a warmed-up exchange serves a request without allocating. One exchange serves one
/// request at a time; a connection holds one only while a request is in progress.
class Exchange final {
 public:
  Exchange(const ParserLimits& limits, SlabPool* body_pool);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Prepares for a new request from peer, served by worker (null in unit tests).
  void begin(const PeerAddress* peer, Worker* worker, std::size_t worker_index);
  /// Forgets the request and the response; keeps (bounded) buffer capacity.
  void reset();

  RequestParser& parser() { return *parser_; }
  const RequestHead& head() const { return parser_->head(); }
  /// Where the request bytes are now (the read buffer may move while the body is read).
  void set_base(const char* base) { base_ = base; }
  const char* base() const { return base_; }

  Context& context() { return context_; }
  Worker* worker() const { return worker_; }
  std::size_t worker_index() const { return worker_index_; }

  // Request side, used by surge::Request.
  std::string_view view(Span span) const { return span.in(base_); }
  /// The offsets of piece, which lies in the request bytes at base().
  Span span_of(std::string_view piece) const {
    return {static_cast<std::uint32_t>(piece.data() - base_), static_cast<std::uint32_t>(piece.size())};
  }
  const HeaderEntry& header(std::size_t i) const { return headers_[i]; }
  const PeerAddress& peer() const { return *peer_; }

  // Routing, set by the router. route_index: a stable small number per route for per-route
  // metrics (kNoRoute when none matched).
  static constexpr std::uint32_t kNoRoute = 0xFFFF'FFFF;
  void set_route(const void* route, std::string_view pattern, std::uint32_t route_index) {
    route_ = route;
    route_pattern_ = pattern;
    route_index_ = route_index;
  }
  std::uint32_t route_index() const { return route_index_; }
  const void* route() const { return route_; }
  /// Why no route took the request, for the router's own answer (its code, and the pattern
  /// whose Allow list applies).
  void set_miss(std::uint8_t kind, std::uint32_t pattern) {
    miss_ = kind;
    miss_pattern_ = pattern;
  }
  std::uint8_t miss() const { return miss_; }
  std::uint32_t miss_pattern() const { return miss_pattern_; }
  std::string_view route_pattern() const { return route_pattern_; }
  /// A parameter whose value must outlive the read buffer's moves (arena or static bytes).
  bool add_param(std::string_view name, std::string_view value);
  /// A parameter whose value is the request's own bytes at `value` (read buffer offsets).
  bool add_buffer_param(std::string_view name, Span value);
  std::string_view param(std::string_view name) const;
  std::size_t param_count() const { return param_count_; }
  Arena& arena() { return arena_; }

  std::string_view request_id() const { return request_id_; }
  void set_request_id(std::string_view id) { request_id_ = id; }

  // Response side, used by surge::Response and the writer.
  int status() const { return status_; }
  void set_status(int status) { status_ = status; }
  bool answered() const { return answered_; }
  void mark_answered() { answered_ = true; }
  std::string_view content_type() const { return content_type_.view(); }
  void set_content_type(std::string_view type);
  std::string_view extra_headers() const { return extra_headers_.view(); }
  void append_header(std::string_view name, std::string_view value);
  ByteBuffer& body() { return body_; }
  const ByteBuffer& body() const { return body_; }
  void set_file_body(int fd, std::uint64_t offset, std::uint64_t length);
  /// Hands the file over to the connection that sends it (the exchange no longer closes it).
  FileBody take_file_body();
  bool has_file_body() const { return file_.fd >= 0; }
  std::uint64_t file_length() const { return file_.length; }
  bool close_requested() const { return close_requested_; }
  void request_close() { close_requested_ = true; }
  /// Forgets whatever the handler put in the response (for an error answer replacing it).
  void clear_response();

  // Timing and completion callbacks.
  std::chrono::steady_clock::time_point started() const { return started_; }
  void set_started(std::chrono::steady_clock::time_point t) { started_ = t; }
  struct CompletionCall {
    Middleware* middleware;
    std::uint64_t cookie;
  };
  static constexpr std::size_t kMaxCompletionCalls = 8;
  bool add_completion_call(Middleware* middleware, std::uint64_t cookie);
  /// Runs the completion callbacks (last registered first) once; later calls do nothing.
  void run_completion_calls();

  // Deferral (Context::defer): the slot in the worker's table of deferred requests.
  bool deferred() const { return deferred_; }
  void set_deferred(bool deferred, std::uint32_t slot = 0) {
    deferred_ = deferred;
    deferred_slot_ = slot;
  }
  std::uint32_t deferred_slot() const { return deferred_slot_; }
  /// The connection serving this exchange (opaque here; null in unit tests).
  void* owner() const { return owner_; }
  void set_owner(void* owner) { owner_ = owner; }
  /// Deadline for an asynchronous answer; 0: the server's timeouts.handler_ms.
  std::chrono::milliseconds handler_timeout() const { return handler_timeout_; }
  void set_handler_timeout(std::chrono::milliseconds timeout) { handler_timeout_ = timeout; }

 private:
  void close_file();

  const ParserLimits& limits_;
  std::optional<RequestParser> parser_;
  std::unique_ptr<HeaderEntry[]> headers_;
  const char* base_ = nullptr;
  const PeerAddress* peer_ = nullptr;
  Worker* worker_ = nullptr;
  std::size_t worker_index_ = 0;
  Context context_;

  const void* route_ = nullptr;
  std::string_view route_pattern_;
  std::uint32_t route_index_ = kNoRoute;
  std::chrono::steady_clock::time_point started_{};
  std::array<CompletionCall, kMaxCompletionCalls> completion_calls_{};
  std::uint8_t completion_count_ = 0;
  std::uint8_t miss_ = 0;
  std::uint32_t miss_pattern_ = 0;
  std::array<PathParam, kMaxPathParams> params_{};
  std::size_t param_count_ = 0;
  Arena arena_;
  std::string_view request_id_;

  int status_ = 200;
  bool answered_ = false;
  bool close_requested_ = false;
  bool deferred_ = false;
  std::uint32_t deferred_slot_ = 0;
  void* owner_ = nullptr;
  std::chrono::milliseconds handler_timeout_{0};
  ByteBuffer content_type_;
  ByteBuffer extra_headers_;
  ByteBuffer body_;
  FileBody file_;
};

}  // namespace surge::detail
