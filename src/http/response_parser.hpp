#pragma once
// ResponseParser: Beast's HTTP/1.1 response parser made strict (RFC 9112) for upstream responses.

#include <cstddef>
#include <cstdint>

#include <boost/beast/http/basic_parser.hpp>

#include "http/request_parser.hpp"  // Span, HeaderEntry
#include "http/upstream_error.hpp"

namespace surge::detail {

struct ResponseLimits {
  /// Bytes of the status line and header fields; also bounds a chunk line and, separately, the
  /// last chunk with its trailer section (Beast bounds neither). Default 16384.
  std::size_t max_header_bytes = 16384;
  /// Header and trailer fields together; the caller's HeaderEntry table holds this many.
  /// Default 100.
  std::size_t max_header_count = 100;
};

/// What the proxy knows about the request the response answers.
struct ResponseTo {
  bool head = false;     // HEAD: the response has no body, whatever its header says
  bool upgrade = false;  // the request asked for Upgrade: only then may the answer be a 101
};

/// How the body is delimited (RFC 9112 6.3).
enum class ResponseBody : std::uint8_t {
  kNone,           // 1xx, 101, 204, 304, or an answer to HEAD: nothing follows the header
  kContentLength,  // content_length bytes (0 included)
  kChunked,        // chunked: decoded pieces are reported, the proxy re-frames them
  kUntilClose,     // no length, or Transfer-Encoding not ending in chunked: read until close
};

/// What the parser learned about one response. Valid once header_done().
struct ResponseHead {
  std::uint16_t status = 0;   // 100-599
  std::uint8_t version = 11;  // 10 or 11 (a higher HTTP/1.x minor is read as 11)
  bool keep_alive = true;     // false for HTTP/1.0 without keep-alive, Connection: close,
                              // and kUntilClose
  ResponseBody body = ResponseBody::kNone;
  bool has_content_length = false;
  std::uint64_t content_length = 0;  // as announced, also when body is kNone (HEAD, 304)
  bool transfer_coded = false;       // Transfer-Encoding names codings besides chunked
  Span reason;
  std::uint32_t header_count = 0;

  /// 100 Continue, 103 Early Hints...: the final response follows on the same connection; the
  /// caller parses it with a new parser, from the byte after this one.
  bool interim() const { return status < 200 && status != 101; }
  /// 101: final, no body; the bytes after the header belong to the tunnel.
  bool switching_protocols() const { return status == 101; }
};

/// One parser per response: construct it (cheap, no allocation) when the request has been sent,
/// destroy it when the response is done. Fields are recorded in the caller's table as offsets into
/// the caller's buffer; they stay valid until the caller discards the header bytes.
///
/// parse() stops once right after the header section, so the proxy can rewrite and forward the
/// head before any body byte. From then on each call delivers at most one piece of the decoded body
/// (body_piece(), in place: Content-Length and read-to-close bodies as they are, chunk data between
/// its framing). The parser keeps no offset into the body: once a piece is forwarded, the caller
/// may discard every byte before the parse position (move the unparsed rest to the front of its
/// buffer) and pass the rest again at its new offset. Memory is bounded by the read buffer, never
/// by the body.
///
/// Beyond Beast 1.81 it refuses (each an UpstreamError, and the connection is closed): a status
/// line other than `HTTP/1.x SP 3DIGIT SP reason`, a status outside 100-599, obs-fold,
/// Content-Length with Transfer-Encoding, several Content-Length values that differ, chunked
/// applied twice, Transfer-Encoding in HTTP/1.0, a 101 nobody asked for, oversized chunk lines and
/// trailers. Identical Content-Length values (`5, 5`, or the same field twice) are accepted as RFC
/// 9110 8.6 allows, but the connection is not reused.
///
/// The proxy never returns a connection with any framing doubt to its pool: reusable() says when it
/// may. Bytes after a complete final response (the proxy sends one request at a time) are such a
/// doubt, and so are a 1xx or 204 announcing a body.
class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  ResponseParser(const ResponseLimits& limits, HeaderEntry* headers, ResponseTo request = {});

  /// Parses buffer bytes [begin, end) of the buffer starting at base. Returns how many were
  /// consumed; the caller passes the rest again, with more data after it, on the next call. ec is
  /// need_more when more input is needed, an UpstreamError or a Beast error (classify_upstream)
  /// when the response is bad, empty after the header section and after each body piece. The
  /// header section stays where it is (same offsets) until header_done(); a higher HTTP/1.x minor
  /// digit is rewritten to 1 in place. Once done(), consumes nothing: what follows is the next
  /// response (after a 1xx), the tunnel (after a 101), or for a final response a doubt.
  std::size_t parse(char* base, std::size_t begin, std::size_t end, boost::system::error_code& ec);
  /// The decoded body bytes the last parse() call delivered (empty if none), as an offset into
  /// the buffer it was given.
  Span body_piece() const { return piece_; }
  /// The upstream closed the connection: ec is empty when the response is complete (a read-to-close
  /// body ends here), kNoResponse when no byte of it came (a reused connection may have raced its
  /// idle close), kPartialMessage otherwise.
  void on_eof(boost::system::error_code& ec);

  const ResponseHead& head() const { return head_; }
  bool header_done() const { return is_header_done(); }
  bool done() const { return is_done(); }
  /// True once any byte of the response was seen.
  bool started() const { return started_; }
  /// Decoded body bytes delivered so far.
  std::uint64_t body_received() const { return body_received_; }
  /// The connection may go back to the pool: the response is complete, framed by Content-Length
  /// or chunked (or has no body), keep-alive, final and not 101, and nothing doubtful was seen.
  bool reusable() const;

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                       boost::beast::string_view, int, boost::system::error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::system::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_str,
                     boost::beast::string_view value, boost::system::error_code& ec) override;
  void on_header_impl(boost::system::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>&,
                         boost::system::error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::system::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::system::error_code& ec) override;
  void on_finish_impl(boost::system::error_code&) override {}

  Span span_of(std::string_view piece) const {
    return {static_cast<std::uint32_t>(piece.data() - base_),
            static_cast<std::uint32_t>(piece.size())};
  }
  std::size_t parse_header(std::size_t begin, std::size_t end, boost::system::error_code& ec);
  std::size_t parse_body(std::size_t begin, std::size_t end, boost::system::error_code& ec);
  UpstreamError check_transfer_encoding(std::string_view value);

  const ResponseLimits& limits_;
  HeaderEntry* headers_;
  ResponseTo request_;
  char* base_ = nullptr;
  char* end_ = nullptr;  // end of the bytes handed to the current parse() call
  ResponseHead head_;
  Span piece_;
  std::size_t message_offset_ = 0;  // the first byte of the status line
  std::uint32_t trailer_count_ = 0;
  std::uint64_t chunk_remaining_ = 0;  // data bytes of the current chunk not yet received
  std::uint64_t body_received_ = 0;
  bool started_ = false;
  bool version_checked_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_seen_ = false;  // "chunked" appeared in a Transfer-Encoding list
  bool chunked_last_ = false;  // ... and was the last coding so far
  bool in_trailers_ = false;
  bool after_data_ = false;  // a chunk's data was announced: the next chunk line begins with CRLF
  // Something forbids reusing the connection, though the response itself is fine.
  bool doubt_ = false;
};

}  // namespace surge::detail
