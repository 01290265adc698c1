#include "http/upstream_error.hpp"

#include <array>
#include <string>

#include <boost/beast/http/error.hpp>

namespace surge::detail {
namespace {

constexpr std::array<UpstreamErrorInfo, static_cast<std::size_t>(UpstreamError::kCount)> kTable{{
    {"no error", "none"},
    {"malformed status line", "bad_status_line"},
    {"upstream version is not HTTP/1.x", "bad_version"},
    {"invalid status code", "bad_status"},
    {"invalid header field name", "bad_header_name"},
    {"invalid character in header field value", "bad_header_value"},
    {"lines must end with CRLF", "bad_line_ending"},
    {"obsolete line folding (obs-fold)", "obs_fold"},
    {"response header or trailer section too large", "header_too_large"},
    {"too many response header fields", "too_many_headers"},
    {"invalid Content-Length", "bad_content_length"},
    {"conflicting Content-Length values", "conflicting_content_length"},
    {"Content-Length together with Transfer-Encoding", "content_length_with_transfer_encoding"},
    {"malformed Transfer-Encoding", "bad_transfer_encoding"},
    {"Transfer-Encoding in an HTTP/1.0 response", "transfer_encoding_http10"},
    {"101 Switching Protocols to a request without Upgrade", "unexpected_switch"},
    {"malformed chunked body", "bad_chunk"},
    {"chunk size overflows 64 bits", "chunk_size_overflow"},
    {"chunk line too long", "chunk_line_too_long"},
    {"upstream closed the connection before responding", "no_response"},
    {"upstream closed the connection before the end of the response", "partial_message"},
}};

// Boost's error_category has a protected non-virtual destructor by design; the one instance is
// static.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "surge.upstream"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev >= static_cast<int>(UpstreamError::kCount)) return "unknown upstream error";
    return std::string(kTable[static_cast<std::size_t>(ev)].message);
  }
};
#pragma GCC diagnostic pop

}  // namespace

const UpstreamErrorInfo& info(UpstreamError e) {
  return kTable[static_cast<std::size_t>(e)];
}

const boost::system::error_category& upstream_error_category() {
  static const Category category;
  return category;
}

UpstreamError classify_upstream(const boost::system::error_code& ec) {
  if (!ec) return UpstreamError::kNone;
  if (ec.category() == upstream_error_category()) return static_cast<UpstreamError>(ec.value());
  namespace http = boost::beast::http;
  if (ec == http::error::header_limit) return UpstreamError::kHeaderTooLarge;
  if (ec == http::error::bad_status) return UpstreamError::kBadStatus;
  if (ec == http::error::bad_field) return UpstreamError::kBadHeaderName;
  if (ec == http::error::bad_value) return UpstreamError::kBadHeaderValue;
  if (ec == http::error::bad_line_ending) return UpstreamError::kBadLineEnding;
  if (ec == http::error::bad_content_length) return UpstreamError::kBadContentLength;
  if (ec == http::error::multiple_content_length) return UpstreamError::kConflictingContentLength;
  if (ec == http::error::bad_transfer_encoding) return UpstreamError::kBadTransferEncoding;
  if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
    return UpstreamError::kBadChunk;
  if (ec == http::error::partial_message) return UpstreamError::kPartialMessage;
  // bad_version (after our own check of the version, only a bad separator is left), bad_reason.
  return UpstreamError::kBadStatusLine;
}

}  // namespace surge::detail
