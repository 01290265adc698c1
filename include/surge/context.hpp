#pragma once
// Request, Response and Context: what a handler and a middleware see of one HTTP exchange.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <surge/method.hpp>
#include <surge/peer.hpp>

namespace surge {
namespace detail {
class Exchange;
}

/// A header field as received: name as spelled by the client, value without surrounding spaces.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

/// Read-only view of the request being handled. The views it returns point into the connection's
/// buffer: they are valid until the response is finished, never longer. Copy what you keep.
class Request final {
 public:
  Method method() const;
  /// The method as sent ("GET").
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
  explicit Request(detail::Exchange& exchange) : ex_(&exchange) {}
  detail::Exchange* ex_;
};

/// The response being built. Nothing is sent until the handler returns (or, for a deferred
/// response, until the completion runs); the engine adds Date, Server, Content-Length and
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
  /// Asks the engine to close the connection after this response.
  void close_connection();

 private:
  friend class detail::Exchange;
  friend class Context;
  explicit Response(detail::Exchange& exchange) : ex_(&exchange) {}
  detail::Exchange* ex_;
};

/// One request and its response, handed to the middleware chain and the handler. Owned by the
/// engine (pooled per worker); a handler borrows it for the duration of the call.
class Context final {
 public:
  const Request& request() const { return request_; }
  Response& response() { return response_; }

  /// The value of path parameter `name` (":id" or "*path" in the route pattern), percent-decoded,
  /// or empty if the route has no such parameter.
  std::string_view param(std::string_view name) const;

  /// Answers with a text/plain body.
  void text(int status, std::string_view body);
  /// Answers with an application/json body (already serialised).
  void json(int status, std::string_view json_text);

 private:
  friend class detail::Exchange;
  explicit Context(detail::Exchange& exchange) : request_(exchange), response_(exchange) {}
  Request request_;
  Response response_;
};

}  // namespace surge
