#pragma once
// RequestError: every way a request can be refused before it reaches a handler.

#include <cstdint>
#include <string_view>
#include <system_error>

#include <boost/system/error_code.hpp>

namespace surge::detail {

/// Each value maps to one status code, one short plain-text body (the client sees it), and one
/// metric label (the `kind` of surge_parse_errors_total / rejections). Order is the table order in
/// request_error.cpp; append only.
enum class RequestError : std::uint8_t {
  kNone = 0,
  // 400, framing and syntax
  kBadRequestLine,
  kBadMethod,
  kBadTarget,
  kBadVersion,
  kBadHeaderName,
  kBadHeaderValue,
  kBadLineEnding,
  kObsFold,
  kMissingHost,
  kDuplicateHost,
  kBadHost,
  kBadContentLength,
  kDuplicateContentLength,
  kContentLengthWithTransferEncoding,
  kChunkedNotFinal,
  kTransferEncodingInHttp10,
  kBadChunk,
  kBadTransferEncoding,
  kHttp2Preface,
  kPartialMessage,
  // limits
  kRequestLineTooLong,  // 414
  kHeaderTooLarge,      // 431
  kTooManyHeaders,      // 431
  kBodyTooLarge,        // 413
  // not supported
  kVersionNotSupported,        // 505
  kMethodNotImplemented,       // 501
  kTransferCodingUnsupported,  // 501
  kExpectationFailed,          // 417
  kRouteBodyTooLarge,          // 413, a route's own limit
  kCount
};

struct RequestErrorInfo {
  int status;
  std::string_view message;  // the response body (without trailing newline) and the log text
  std::string_view kind;     // metric label, snake_case
};

const RequestErrorInfo& info(RequestError e);

/// Adapts RequestError to boost::system::error_code so the Beast parser callbacks can report it.
const boost::system::error_category& request_error_category();
inline boost::system::error_code make_error_code(RequestError e) {
  return {static_cast<int>(e), request_error_category()};
}

}  // namespace surge::detail

namespace boost::system {
template <>
struct is_error_code_enum<surge::detail::RequestError> : std::true_type {};
}  // namespace boost::system
