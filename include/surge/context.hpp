#pragma once
// Request, Response and Context: what a handler and a middleware see of one HTTP exchange.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include <surge/method.hpp>
#include <surge/peer.hpp>
#include <surge/stream.hpp>

namespace surge {
class Context;
class Middleware;
namespace detail {
class Exchange;
class Worker;
struct WorkerAnchor;
/// The engine's side of a Context (for surge's own components; not part of the public API).
Exchange& exchange_of(Context& ctx);
}  // namespace detail

/// A header field as received: name as spelled by the client, value without surrounding spaces.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

/// Read-only view of the request being handled. The views it returns point into the connection's
/// buffer: they are valid until the response is finished, never longer. Copy what you keep.
class Request final {
 public:
  /// Method::kOther for a method surge does not implement (only a kOther route sees one).
  Method method() const;
  /// The method as sent ("GET"; for Method::kOther the token itself, "PROPFIND").
  std::string_view method_name() const;
  /// The request-target as sent (origin-form "/a?b", absolute-form, or "*").
  std::string_view target() const;
  /// The path of the target, still percent-encoded, without the query ("/" for an absolute-form
  /// target without a path).
  std::string_view path() const;
  /// The query without the '?', empty if none.
  std::string_view query() const;
  /// 10 for HTTP/1.0, 11 for HTTP/1.1.
  int version() const;
  /// The Host header (or the authority of an absolute-form target).
  std::string_view host() const;
  /// The first field with this name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  std::size_t header_count() const;
  HeaderField header_at(std::size_t index) const;
  /// The whole body (chunked bodies decoded). Empty for requests without one.
  std::string_view body() const;
  /// Address of the TCP peer (the load balancer, when there is one).
  const PeerAddress& peer() const;

 private:
  friend class detail::Exchange;
  friend class Context;
  friend detail::Exchange& detail::exchange_of(Context& ctx);
  explicit Request(detail::Exchange& exchange) : ex_(&exchange) {}
  detail::Exchange* ex_;
};

/// The response being built. Nothing is sent until the handler returns (or, for a deferred
/// response, until its completion ran); the engine adds Date, Server, Content-Length and
/// Connection itself.
class Response final {
 public:
  void set_status(int status);
  int status() const;
  /// Appends a header field. Refuses (returns false) names or values that are not valid field
  /// syntax (no CR/LF injection) and the fields the engine owns: Content-Length,
  /// Transfer-Encoding, Connection, Date, Server.
  bool add_header(std::string_view name, std::string_view value);
  void set_content_type(std::string_view type);
  /// Replaces the body (copied).
  void set_body(std::string_view bytes);
  /// Appends to the body (copied).
  void append_body(std::string_view bytes);
  std::string_view body() const;
  /// Sends `length` bytes of the open file `fd` from `offset` as the body, without copying them
  /// through user space (sendfile). Takes ownership of fd (closed when the response is done).
  void set_file_body(int fd, std::uint64_t offset, std::uint64_t length);
  /// Asks the engine to close the connection after this response.
  void close_connection();
  /// Forgets everything put into the response so far: status (back to 200), content type, added
  /// headers, body and file body. A close_connection() request stays.
  void clear();

 private:
  friend class detail::Exchange;
  friend class Context;
  explicit Response(detail::Exchange& exchange) : ex_(&exchange) {}
  detail::Exchange* ex_;
};

class Context;

/// A response that will be produced later (the handler started asynchronous work). Obtained from
/// Context::defer() on the worker; resume() may be called from any thread, once.
class Deferred final {
 public:
  Deferred() = default;
  Deferred(Deferred&&) noexcept;
  Deferred& operator=(Deferred&&) noexcept;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  /// Dropping a Deferred without resuming it answers 500.
  ~Deferred();

  /// Runs fill(ctx) on the request's worker thread, then sends the response. If the request was
  /// abandoned meanwhile (its deadline passed and it got a 504, the server force-closed it, the
  /// server is gone), fill is not called. Returns false if the Deferred was empty or already
  /// resumed.
  bool resume(std::function<void(Context&)> fill);
  explicit operator bool() const { return anchor_ != nullptr; }

 private:
  friend class Context;
  Deferred(std::shared_ptr<detail::WorkerAnchor> anchor, std::uint32_t slot, std::uint32_t generation)
      : anchor_(std::move(anchor)), slot_(slot), generation_(generation) {}
  void abandon();
  std::shared_ptr<detail::WorkerAnchor> anchor_;
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
};

/// One request and its response, handed to the middleware chain and the handler. Owned by the
/// engine (pooled per worker); a handler borrows it for the duration of the call, or until it
/// resumes a Deferred.
class Context final {
 public:
  const Request& request() const { return request_; }
  Response& response() { return response_; }

  /// The value of path parameter `name` (":id" or "*path" in the route pattern), percent-decoded,
  /// or empty if the route has no such parameter. No allocation.
  std::string_view param(std::string_view name) const;
  /// The route pattern that matched ("/users/:id"), or "" when none did.
  std::string_view route() const;
  /// Index of the worker thread serving this request (0 .. workers-1), for per-worker state.
  std::size_t worker() const;

  /// Answers with a text/plain body.
  void text(int status, std::string_view body);
  /// Answers with an application/json body that is already serialised JSON text.
  void json_raw(int status, std::string_view json_text);
  /// Answers with an application/json body serialised from value.
  void json(int status, const nlohmann::json& value);

  /// The request id (set by the request_id middleware), or empty.
  std::string_view request_id() const;
  void set_request_id(std::string_view id);

  /// Scratch memory valid until the response is finished (a small per-request arena: no
  /// allocation for small amounts). Aligned for any type.
  void* allocate(std::size_t bytes);
  /// A copy of text in the arena.
  std::string_view copy(std::string_view text);

  /// The response will be produced later: the engine does not answer when the handler returns.
  /// The request stays bound to its worker; resume() the Deferred from any thread. Unless the
  /// route sets its own timeout, it is answered 504 after timeouts.handler_ms.
  Deferred defer();
  /// Runs work() on the offload thread pool (blocking work is fine there), then done(ctx) on this
  /// request's worker. When the pool's queue is full, answers 503 at once and returns false.
  bool offload(std::function<void()> work, std::function<void(Context&)> done);
  /// True once defer(), offload(), suspend() or read_body() was called for this request.
  bool deferred() const;

  /// The response will be produced later by code on this worker thread (an upstream's answer, a
  /// timer of the worker's): fill context() and resume() the Suspension there. No lock, no post,
  /// no allocation. Unless the route sets its own timeout, it is answered 504 after
  /// timeouts.handler_ms. An empty Suspension if the request already waits.
  Suspension suspend();
  /// The response body is written after the handler (or the Suspension's resume()) returns, piece
  /// by piece by writer, with back-pressure: its length when known, else chunked. Set the status
  /// and headers as usual; HEAD, 204 and 304 answers write no body (on_cancel is called).
  void stream_body(BodyWriter& writer, std::uint64_t length = kUnknownLength);
  /// For a route with RouteOptions::stream_body: the body is handed to reader as it arrives, and
  /// the request waits for its answer (the Suspension returned) — a route's body limit and the
  /// body timeouts still apply. An empty Suspension elsewhere, or if the request already waits.
  Suspension read_body(BodyReader& reader);

  /// Asks for middleware->on_complete(ctx, cookie) when the response is final (see Middleware).
  /// At most 8 per request; false beyond that. The cookie is the middleware's own (a start time,
  /// a permit, a pointer into ctx.allocate() memory).
  bool on_complete(Middleware* middleware, std::uint64_t cookie);
  /// When the engine started on this request (its first byte was parsed).
  std::chrono::steady_clock::time_point started() const;

 private:
  friend class detail::Exchange;
  friend detail::Exchange& detail::exchange_of(Context& ctx);
  explicit Context(detail::Exchange& exchange) : request_(exchange), response_(exchange) {}
  Request request_;
  Response response_;
};

}  // namespace surge
