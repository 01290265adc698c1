#include "http/request_error.hpp"

#include <array>
#include <string>

namespace surge::detail {
namespace {

constexpr std::array<RequestErrorInfo, static_cast<std::size_t>(RequestError::kCount)> kTable{{
    {200, "no error", "none"},
    {400, "malformed request line", "bad_request_line"},
    {400, "malformed method", "bad_method"},
    {400, "malformed request target", "bad_target"},
    {400, "malformed HTTP version", "bad_version"},
    {400, "invalid header field name", "bad_header_name"},
    {400, "invalid character in header field value", "bad_header_value"},
    {400, "lines must end with CRLF", "bad_line_ending"},
    {400, "obsolete line folding (obs-fold) is not allowed", "obs_fold"},
    {400, "HTTP/1.1 request without Host header", "missing_host"},
    {400, "more than one Host header", "duplicate_host"},
    {400, "invalid Host header", "bad_host"},
    {400, "invalid Content-Length", "bad_content_length"},
    {400, "more than one Content-Length header", "duplicate_content_length"},
    {400, "Content-Length together with Transfer-Encoding", "content_length_with_transfer_encoding"},
    {400, "Transfer-Encoding must end with chunked, once", "chunked_not_final"},
    {400, "Transfer-Encoding in an HTTP/1.0 request", "transfer_encoding_http10"},
    {400, "malformed chunked body", "bad_chunk"},
    {400, "malformed Transfer-Encoding", "bad_transfer_encoding"},
    {400, "HTTP/2 connection preface on an HTTP/1.1 port", "http2_preface"},
    {400, "connection closed in the middle of a request", "partial_message"},
    {414, "request line too long (limits.max_request_line_bytes)", "request_line_too_long"},
    {431, "request header section too large (limits.max_header_bytes)", "header_too_large"},
    {431, "too many header fields (limits.max_header_count)", "too_many_headers"},
    {413, "request body too large (limits.max_body_bytes)", "body_too_large"},
    {505, "HTTP version not supported (only HTTP/1.0 and HTTP/1.1)", "version_not_supported"},
    {501, "method not implemented", "method_not_implemented"},
    {501, "transfer coding not implemented (only chunked)", "transfer_coding_unsupported"},
    {417, "expectation not supported (only 100-continue)", "expectation_failed"},
    {413, "request body too large for this route (max_body_bytes)", "route_body_too_large"},
}};

// Boost's error_category has a protected non-virtual destructor by design; the one instance is static.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "surge.request"; }
  std::string message(int ev) const override {
    if (ev < 0 || ev >= static_cast<int>(RequestError::kCount)) return "unknown request error";
    return std::string(kTable[static_cast<std::size_t>(ev)].message);
  }
};
#pragma GCC diagnostic pop

}  // namespace

const RequestErrorInfo& info(RequestError e) { return kTable[static_cast<std::size_t>(e)]; }

const boost::system::error_category& request_error_category() {
  static const Category category;
  return category;
}

}  // namespace surge::detail
