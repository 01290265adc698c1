#pragma once
// Exchange: the engine's side of one request/response pair, and the storage behind Context.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include <surge/context.hpp>

#include "http/request_parser.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

/// A path parameter bound by the router: the name comes from the frozen route pattern, the value
/// points into the request buffer (or into the exchange's scratch when it had to be decoded).
struct PathParam {
  std::string_view name;
  std::string_view value;
};

inline constexpr std::size_t kMaxPathParams = 16;

/// Pooled per worker and reused for request after request: reset() keeps the capacity of its
/// buffers, so a warmed-up exchange serves a request without allocating. One exchange serves one
/// request at a time; a connection holds one only while a request is in progress.
class Exchange final {
 public:
  Exchange(const ParserLimits& limits, SlabPool* body_pool);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  /// Prepares for a new request read from a buffer that starts at base, from a peer.
  void begin(const PeerAddress* peer);
  /// Forgets the request and the response; keeps (bounded) buffer capacity.
  void reset();

  RequestParser& parser() { return *parser_; }
  const RequestHead& head() const { return parser_->head(); }
  /// Where the request bytes are now (the read buffer may move while the body is read).
  void set_base(const char* base) { base_ = base; }
  const char* base() const { return base_; }

  Context& context() { return context_; }

  // Request side, used by surge::Request.
  std::string_view view(Span span) const { return span.in(base_); }
  const HeaderEntry& header(std::size_t i) const { return headers_[i]; }
  const PeerAddress& peer() const { return *peer_; }

  // Path parameters, bound by the router.
  bool add_param(std::string_view name, std::string_view value);
  std::string_view param(std::string_view name) const;
  void clear_params() { param_count_ = 0; }
  /// Bytes for decoded parameter values, valid until reset(). reserve_scratch(total) first; then
  /// scratch(n) hands out pieces of that reservation and returns nullptr beyond it.
  void reserve_scratch(std::size_t total);
  char* scratch(std::size_t n);

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
  bool close_requested() const { return close_requested_; }
  void request_close() { close_requested_ = true; }

 private:
  const ParserLimits& limits_;
  std::optional<RequestParser> parser_;
  std::unique_ptr<HeaderEntry[]> headers_;
  const char* base_ = nullptr;
  const PeerAddress* peer_ = nullptr;
  Context context_;

  std::array<PathParam, kMaxPathParams> params_{};
  std::size_t param_count_ = 0;
  ByteBuffer scratch_;

  int status_ = 200;
  bool answered_ = false;
  bool close_requested_ = false;
  ByteBuffer content_type_;
  ByteBuffer extra_headers_;
  ByteBuffer body_;
};

}  // namespace surge::detail
