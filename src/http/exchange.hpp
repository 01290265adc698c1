#pragma once
// Exchange: the engine's side of one request/response pair, and the storage behind Context.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <surge/context.hpp>

#include "http/exchange_owner.hpp"
#include "http/request_parser.hpp"
#include "http/response_state.hpp"
#include "memory/arena.hpp"
#include "router/route_match.hpp"

namespace surge::detail {

class Worker;

/// What a proxied request's upstream did, for the access log (nginx's $upstream_addr,
/// $upstream_status, $upstream_header_time). An empty address: not proxied.
struct UpstreamTrace {
  std::string_view address;  // the host as configured (its cluster outlives the exchange)
  int status = 0;            // the upstream's status; 0 when none came (a failure)
  std::chrono::nanoseconds duration{0};  // request taken -> response head, or the failure
};

/// The asynchronous side of an exchange: who serves it, whether its answer is pending, and the
/// task working on it after the handler returned.

struct AsyncState {
  ExchangeOwner* owner = nullptr;  // the session serving the exchange (null in unit tests)
  bool pending = false;            // the answer comes later (Context::defer / suspend)
  std::uint32_t slot = 0;          // while pending: its entry in the worker's table
  ExchangeTask* task = nullptr;    // streams the bodies or answers later; told of a cancel
  UpstreamTrace upstream;          // set by a proxy route
};

/// Connects an embedder's BodyReader / BodyWriter (the public API) to the session's task
/// interface. Part of each exchange, so streaming allocates nothing.
class EmbedderTask final : public ExchangeTask {
 public:
  explicit EmbedderTask(Exchange& exchange) : exchange_(exchange) {}
  BodyReader* reader = nullptr;
  BodyWriter* writer = nullptr;

  bool on_request_body(std::string_view piece) override;
  void on_request_body_end() override;
  void on_response_writable() override;
  void on_cancelled() override;

 private:
  Exchange& exchange_;
};

/// Pooled per worker and reused for request after request: reset() keeps the capacity of its
/// buffers, so a warmed-up exchange serves a request without allocating. One exchange serves one
/// request at a time; a connection holds one only while a request is in progress. Its parts: the
/// request (parser, header table, where the bytes are), the route match (router/), the response
/// (status, fields, body), and the asynchronous state.
class Exchange final {
 public:
  Exchange(const ParserLimits& limits, SlabPool* body_pool);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Prepares for a new request from peer, served by worker (null in unit tests).
  void begin(const PeerAddress* peer, Worker* worker, std::size_t worker_index);
  /// Forgets the request and the response; keeps (bounded) buffer capacity.
  void reset();

  Context& context() { return context_; }
  Worker* worker() const { return worker_; }
  std::size_t worker_index() const { return worker_index_; }

  // --- The request -----------------------------------------------------------------------------
  RequestParser& parser() { return *parser_; }
  const RequestHead& head() const { return parser_->head(); }
  /// Where the request bytes are now (the read buffer may move while the body is read).
  void set_base(const char* base) { base_ = base; }
  const char* base() const { return base_; }
  std::string_view view(Span span) const { return span.in(base_); }
  /// The offsets of piece, which lies in the request bytes at base().
  Span span_of(std::string_view piece) const {
    return {static_cast<std::uint32_t>(piece.data() - base_), static_cast<std::uint32_t>(piece.size())};
  }
  const HeaderEntry& header(std::size_t i) const { return headers_[i]; }
  const PeerAddress& peer() const { return *peer_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  void set_started(std::chrono::steady_clock::time_point t) { started_ = t; }
  std::string_view request_id() const { return request_id_; }
  void set_request_id(std::string_view id) { request_id_ = id; }
  /// Per-request scratch memory (decoded parameters, copies), released by reset().
  Arena& arena() { return arena_; }

  // --- The route -------------------------------------------------------------------------------
  RouteMatch& route() { return route_; }
  const RouteMatch& route() const { return route_; }
  /// A parameter whose value must outlive the read buffer's moves (arena or static bytes).
  bool add_param(std::string_view name, std::string_view value);
  /// A parameter whose value is the request's own bytes at `value` (read buffer offsets).
  bool add_buffer_param(std::string_view name, Span value);
  std::string_view param(std::string_view name) const;

  // --- The response ----------------------------------------------------------------------------
  ResponseState& response() { return response_; }
  const ResponseState& response() const { return response_; }

  // --- Asynchronous state and completion callbacks ----------------------------------------------
  AsyncState& async() { return async_; }
  const AsyncState& async() const { return async_; }
  struct CompletionCall {
    Middleware* middleware;
    std::uint64_t cookie;
  };
  static constexpr std::size_t kMaxCompletionCalls = 8;
  bool add_completion_call(Middleware* middleware, std::uint64_t cookie);
  /// The task that serves the public streaming API (Context::stream_body / read_body).
  EmbedderTask& embedder_task() { return embedder_task_; }
  /// A handle for writing this exchange's streamed response body.
  ResponseStream response_stream() { return ResponseStream(*this, serial_); }
  /// Which request this is: a new number each begin(), so a handle outliving its request (a
  /// ResponseStream) can tell it is stale.
  std::uint64_t serial() const { return serial_; }
  /// Runs the completion callbacks (last registered first) once; later calls do nothing.
  void run_completion_calls();

 private:
  const ParserLimits& limits_;
  std::optional<RequestParser> parser_;
  std::unique_ptr<HeaderEntry[]> headers_;
  const char* base_ = nullptr;
  const PeerAddress* peer_ = nullptr;
  Worker* worker_ = nullptr;
  std::size_t worker_index_ = 0;
  std::chrono::steady_clock::time_point started_{};
  std::string_view request_id_;
  Arena arena_;
  Context context_;
  RouteMatch route_;
  ResponseState response_;
  AsyncState async_;
  EmbedderTask embedder_task_{*this};
  std::array<CompletionCall, kMaxCompletionCalls> completion_calls_{};
  std::uint8_t completion_count_ = 0;
  std::uint64_t serial_ = 0;
};

}  // namespace surge::detail
