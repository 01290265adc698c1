#pragma once
// UpstreamError: every way an upstream's response can be refused by the response parser.

#include <cstdint>
#include <string_view>
#include <system_error>

#include <boost/system/error_code.hpp>

namespace surge::detail {

/// Each value is one reason a proxied request ends in 502 and its upstream connection is closed:
/// one short message (the log line, the 502 body) and one metric label. Order is the table order
/// in upstream_error.cpp; append only.
enum class UpstreamError : std::uint8_t {
  kNone = 0,
  // the status line
  kBadStatusLine,  // not `HTTP-version SP 3DIGIT SP reason CRLF`
  kBadVersion,     // not HTTP/1.x
  kBadStatus,      // not three digits, or outside 100-599
  // the header section
  kBadHeaderName,
  kBadHeaderValue,
  kBadLineEnding,
  kObsFold,
  kHeaderTooLarge,  // the header section, or the last chunk with its trailers
  kTooManyHeaders,  // header and trailer fields together
  // framing (RFC 9112 6.3)
  kBadContentLength,
  kConflictingContentLength,  // several values that differ
  kContentLengthWithTransferEncoding,
  kBadTransferEncoding,       // empty, malformed, or chunked more than once
  kTransferEncodingInHttp10,  // RFC 9112 6.1: the framing is faulty
  kUnexpectedSwitch,          // 101 to a request that asked for no Upgrade
  // chunked body
  kBadChunk,
  kChunkSizeOverflow,
  kChunkLineTooLong,
  // end of input
  kNoResponse,      // closed before the first byte of a response
  kPartialMessage,  // closed before the end of the framed response
  kCount
};

struct UpstreamErrorInfo {
  std::string_view message;  // log text and the 502 body (without trailing newline)
  std::string_view kind;     // metric label, snake_case
};

const UpstreamErrorInfo& info(UpstreamError e);

/// Adapts UpstreamError to boost::system::error_code, so the Beast callbacks can report it.
const boost::system::error_category& upstream_error_category();
inline boost::system::error_code make_error_code(UpstreamError e) {
  return {static_cast<int>(e), upstream_error_category()};
}

/// Maps any error the response parser returns (Beast's or ours) to an UpstreamError.
UpstreamError classify_upstream(const boost::system::error_code& ec);

}  // namespace surge::detail

namespace boost::system {
template <>
struct is_error_code_enum<surge::detail::UpstreamError> : std::true_type {};
}  // namespace boost::system
