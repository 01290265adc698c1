#pragma once
// RequestParser: Beast's HTTP/1.1 request parser made strict (RFC 9112) and allocation-free.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <surge/method.hpp>

#include "http/request_error.hpp"
#include "http/request_line.hpp"

namespace surge::detail {

/// A byte range of the connection's read buffer, as an offset from its start: the buffer may move
/// when it grows while a request is read, offsets stay valid.
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  std::string_view in(const char* base) const { return {base + offset, size}; }
};

struct HeaderEntry {
  Span name;
  Span value;
  std::uint16_t field = 0;  // boost::beast::http::field, so well-known names compare as integers
};

/// What the parser learned about one request. Valid once the header section is complete.
struct RequestHead {
  Method method = Method::kGet;  // kOther for a token surge does not implement: see method_text
  std::uint8_t version = 11;  // 10 or 11 (a higher HTTP/1.x minor is served as 11, RFC 9110 2.5)
  bool keep_alive = true;
  bool expect_continue = false;  // HTTP/1.1 request carrying "Expect: 100-continue"
  bool chunked = false;
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  Span method_text, target, path, query, host;
  Span body;  // decoded body (chunked bodies are decoded in place), complete once done()
  std::uint32_t header_count = 0;
};

struct ParserLimits {
  std::size_t max_request_line_bytes = 8192;
  std::size_t max_header_bytes = 16384;
  std::size_t max_header_count = 100;
  std::uint64_t max_body_bytes = 1 << 20;
};

/// One parser per request: construct it (cheap, no allocation) when a request starts and destroy it
/// when the request is done. Header fields are recorded in the caller's table as offsets into the
/// caller's buffer. parse() stops once right after the header section, so the caller can decide
/// (route, 100-continue, per-route body limit) before any body byte is consumed.
///
/// Beyond Beast 1.81 it rejects: obs-fold, duplicate/invalid Content-Length, Content-Length with
/// Transfer-Encoding, Transfer-Encoding not ending in a single chunked (400) or with an unknown
/// coding (501), Transfer-Encoding in HTTP/1.0, a missing/duplicate/invalid Host, CONNECT and
/// method tokens over kMaxMethodToken (501), versions other than HTTP/1.x (505), malformed targets
/// and percent-escapes, and expectations other than 100-continue (417). Any other method token is
/// Method::kOther (the router decides: 501 unless a route takes every method). Leading empty lines
/// before a request are skipped (RFC 9112 2.2).
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(const ParserLimits& limits, HeaderEntry* headers);

  /// Parses buffer bytes [begin, end) of the buffer starting at base. Returns how many were
  /// consumed; the caller passes the rest again, with more data after it, on the next call. The
  /// bytes of this request must stay in the buffer (at the same offsets) until it is done. ec is
  /// need_more when more input is needed, a RequestError or a Beast error when the request is bad.
  std::size_t parse(char* base, std::size_t begin, std::size_t end, boost::system::error_code& ec);

  /// Sets the body limit for this request (a per-route limit, lower or higher than the server's),
  /// before the body is read.
  void limit_body(std::uint64_t max_body_bytes);
  /// The body limit in force for this request.
  std::uint64_t max_body() const { return max_body_; }

  const RequestHead& head() const { return head_; }
  bool header_done() const { return is_header_done(); }
  bool done() const { return is_done(); }
  /// True once any byte of a request (not just leading empty lines) was seen.
  bool started() const { return started_; }
  /// Offset of the first byte of the request line.
  std::size_t request_offset() const { return request_offset_; }
  /// Decoded body bytes received so far (all of them, also those already consumed).
  std::uint64_t body_received() const { return body_received_; }
  /// A streamed body: the caller took the decoded bytes in head().body and moved the unparsed
  /// rest of the buffer down to head().body.offset; the next bytes decode from there.
  void consume_body() { head_.body.size = 0; }

 private:
  // Beast's callbacks (boost::core::string_view converts to std::string_view).
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version,
                       boost::system::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::system::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_str,
                     boost::beast::string_view value, boost::system::error_code& ec) override;
  void on_header_impl(boost::system::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::system::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::system::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::system::error_code& ec) override;
  void on_finish_impl(boost::system::error_code& ec) override;

  Span span_of(std::string_view piece) const {
    return {static_cast<std::uint32_t>(piece.data() - base_),
            static_cast<std::uint32_t>(piece.size())};
  }
  RequestError check_target(std::string_view target);
  RequestError check_transfer_encoding(std::string_view value);

  const ParserLimits& limits_;
  HeaderEntry* headers_;
  char* base_ = nullptr;
  char* end_ = nullptr;  // end of the bytes handed to the current parse() call
  RequestHead head_;
  RequestLineCheck line_check_;
  std::size_t request_offset_ = 0;
  std::uint32_t host_count_ = 0;
  std::uint32_t trailer_count_ = 0;
  std::uint64_t chunk_remaining_ = 0;   // data bytes of the current chunk not yet received
  std::uint64_t body_received_ = 0;
  std::uint64_t max_body_ = 0;
  std::uint32_t transfer_codings_ = 0;  // codings seen in Transfer-Encoding lists
  bool started_ = false;
  bool request_line_checked_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_seen_ = false;     // "chunked" appeared in a Transfer-Encoding list
  bool chunked_last_ = false;     // ... and was the last coding so far
  bool unknown_coding_ = false;   // a coding other than chunked
  bool bad_expectation_ = false;
  bool in_trailers_ = false;
};

/// True for a syntactically valid Host field value: uri-host [ ":" port ] (RFC 9110 7.2). Empty is
/// valid (a target without authority).
bool is_valid_host(std::string_view host);

/// Whether ec, from parse(), only says that more input is needed.
inline bool needs_more(const boost::system::error_code& ec) {
  return ec == boost::beast::http::error::need_more;
}

/// Maps any error parse() reports (Beast's or ours) to a RequestError.
RequestError classify(const boost::system::error_code& ec);

/// The HeaderEntry::field of a header name: nonzero for the names Beast knows (any case), so a
/// lookup compares integers; 0 for the others.
std::uint16_t field_code(std::string_view name);

}  // namespace surge::detail
