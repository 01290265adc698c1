#include "http/request_parser.hpp"

#include "http/grammar.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

namespace surge::detail {
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ows(char c) { return c == ' ' || c == '\t'; }

// "0\r\n\r\n": the fewest bytes that can end a chunked body.
constexpr std::size_t kShortestLastChunk = 5;

// Whether a chunk header's first bytes may be a last chunk's ("0", after the previous chunk's CRLF).
bool may_be_last_chunk(std::string_view pending) {
  if (pending.substr(0, 2) == "\r\n") pending.remove_prefix(2);
  return pending.empty() || pending.front() == '0' || pending == "\r";
}

// unreserved / sub-delims of RFC 3986, the characters of a reg-name besides pct-encoded.
bool is_reg_name_char(char c) {
  return is_unreserved(c) || (c != '\0' && std::strchr("!$&'()*+,;=", c) != nullptr);
}

}  // namespace

bool is_valid_host(std::string_view h) {
  std::size_t i = 0;
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (std::size_t k = 1; k < close; ++k) {
      if (hex_value(h[k]) < 0 && h[k] != ':' && h[k] != '.') return false;
    }
    i = close + 1;
  } else {
    while (i < h.size() && h[i] != ':') {
      if (h[i] == '%') {
        if (escaped_at(h, i) < 0) return false;
        i += 3;
        continue;
      }
      if (!is_reg_name_char(h[i])) return false;
      ++i;
    }
  }
  if (i == h.size()) return true;
  if (h[i] != ':') return false;
  for (++i; i < h.size(); ++i) {
    if (!is_ascii_digit(h[i])) return false;
  }
  return true;
}

RequestParser::RequestParser(const ParserLimits& limits, HeaderEntry* headers)
    : limits_(limits), headers_(headers) {
  header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  // Beast would judge a Content-Length against its limit before the header section ends, that
  // is before the route (whose own limit may be higher) is known: no limit until then, and the
  // Content-Length is judged in on_body_init_impl, once the caller had its say.
  body_limit(boost::none);
  max_body_ = limits.max_body_bytes;
  // Stop right after the header section so the caller decides before the body is consumed.
  eager(false);
}

void RequestParser::limit_body(std::uint64_t max_body_bytes) {
  body_limit(max_body_bytes);
  max_body_ = max_body_bytes;
}

std::size_t RequestParser::parse(char* base, std::size_t begin, std::size_t end, error_code& ec) {
  base_ = base;
  end_ = base + end;
  std::size_t pos = begin;
  if (!started_) {
    // RFC 9112 2.2: ignore empty lines received before the request line.
    while (pos < end && (base[pos] == '\r' || base[pos] == '\n')) ++pos;
    if (pos == end) {
      ec = http::error::need_more;
      return pos - begin;
    }
    started_ = true;
    request_offset_ = pos;
  }
  if (!request_line_checked_) {
    bool complete = false;
    if (RequestError e = line_check_.feed(base + request_offset_, end - request_offset_,
                                          limits_.max_request_line_bytes, complete);
        e != RequestError::kNone) {
      ec = e;
      return pos - begin;
    }
    if (!complete) {
      ec = http::error::need_more;
      return pos - begin;
    }
    request_line_checked_ = true;
  }
  if (is_header_done()) eager(true);
  if (pos == end && !is_done()) {
    ec = http::error::need_more;
    return 0;
  }
  if (head_.chunked && chunk_remaining_ == 0 && end - pos < kShortestLastChunk && !is_done() &&
      may_be_last_chunk(std::string_view(base + pos, end - pos))) {
    // Beast 1.81 asserts that a last chunk it has begun to read is followed by at least 5 bytes
    // ("0\r\n" then "\r" trips it; fixed in Beast PR #2861). No chunk header can end the body
    // in fewer, so nothing is lost by waiting for them.
    ec = http::error::need_more;
    return pos - begin;
  }
  bool header_was_done = is_header_done();
  pos += put(boost::asio::const_buffer(base + pos, end - pos), ec);
  if (ec == http::error::bad_transfer_encoding) {
    // Beast reports both "Content-Length then Transfer-Encoding" and "chunked twice" this way.
    ec = head_.has_content_length ? RequestError::kContentLengthWithTransferEncoding
                                  : RequestError::kChunkedNotFinal;
  } else if (ec == http::error::bad_content_length && has_transfer_encoding_) {
    ec = RequestError::kContentLengthWithTransferEncoding;
  }
  if (ec && ec != http::error::need_more) return pos - begin;

  // Beast measures its header limit from the first unconsumed field, not from the request line,
  // so the total is enforced here.
  std::size_t header_bytes = (is_header_done() ? pos : end) - request_offset_;
  if (!header_was_done && header_bytes > limits_.max_header_bytes) {
    ec = RequestError::kHeaderTooLarge;
    return pos - begin;
  }
  if (!header_was_done && is_header_done()) head_.body.offset = static_cast<std::uint32_t>(pos);
  return pos - begin;
}

void RequestParser::on_request_impl(http::verb, boost::beast::string_view method_sv,
                                    boost::beast::string_view target_sv, int version,
                                    error_code& ec) {
  const std::string_view method_str(method_sv.data(), method_sv.size());
  const std::string_view target(target_sv.data(), target_sv.size());
  // Any other token is kOther: the router lets a route for every method take it, and answers
  // 501 anywhere else. CONNECT asks for a tunnel, which surge never opens.
  if (!surge::parse_method(method_str, head_.method)) {
    if (method_str == "CONNECT") {
      ec = RequestError::kMethodNotImplemented;
      return;
    }
    head_.method = Method::kOther;
  }
  head_.method_text = span_of(method_str);
  head_.target = span_of(target);
  head_.version = static_cast<std::uint8_t>(version);
  if (RequestError e = check_target(target); e != RequestError::kNone) ec = e;
}

RequestError RequestParser::check_target(std::string_view target) {
  if (target == "*") {
    if (head_.method != Method::kOptions) return RequestError::kBadTarget;
    head_.path = span_of(target);
    return RequestError::kNone;
  }
  std::string_view path = target;
  if (target.front() != '/') {
    // absolute-form (RFC 9112 3.2.2): the authority replaces Host.
    auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return RequestError::kBadTarget;
    std::string_view scheme = target.substr(0, scheme_end);
    if (!iequals(scheme, "http") && !iequals(scheme, "https")) return RequestError::kBadTarget;
    std::string_view rest = target.substr(scheme_end + 3);
    auto path_start = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_start);
    if (authority.empty() || authority.find('@') != std::string_view::npos ||
        !is_valid_host(authority)) {
      return RequestError::kBadTarget;
    }
    head_.host = span_of(authority);
    path = path_start == std::string_view::npos ? rest.substr(rest.size()) : rest.substr(path_start);
  }
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '#') return RequestError::kBadTarget;
    if (c == '%') {
      if (escaped_at(path, i) < 0) return RequestError::kBadTarget;
      i += 2;
    }
  }
  auto question = path.find('?');
  if (question == std::string_view::npos) {
    head_.path = span_of(path);
  } else {
    head_.path = span_of(path.substr(0, question));
    head_.query = span_of(path.substr(question + 1));
  }
  return RequestError::kNone;
}

RequestError RequestParser::check_transfer_encoding(std::string_view value) {
  has_transfer_encoding_ = true;
  bool any = false;
  while (true) {
    auto comma = value.find(',');
    std::string_view element = trim_ows(value.substr(0, comma));
    if (!element.empty()) {
      any = true;
      std::string_view coding = trim_ows(element.substr(0, element.find(';')));
      if (coding.empty() || !std::all_of(coding.begin(), coding.end(), is_tchar)) {
        return RequestError::kBadTransferEncoding;
      }
      ++transfer_codings_;
      if (iequals(coding, "chunked")) {
        if (chunked_seen_) return RequestError::kChunkedNotFinal;
        chunked_seen_ = true;
        chunked_last_ = true;
      } else {
        chunked_last_ = false;
        unknown_coding_ = true;
      }
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return any ? RequestError::kNone : RequestError::kBadTransferEncoding;
}

void RequestParser::on_field_impl(http::field f, boost::beast::string_view name_sv,
                                  boost::beast::string_view value_sv, error_code& ec) {
  const std::string_view name(name_sv.data(), name_sv.size());
  const std::string_view value(value_sv.data(), value_sv.size());
  if (head_.header_count + trailer_count_ >= limits_.max_header_count) {
    ec = RequestError::kTooManyHeaders;
    return;
  }
  // Beast unfolds obs-fold silently: a folded value is either copied out of the buffer, or
  // separated from the colon by a line break.
  const char* colon = name.data() + name.size();
  if (value.data() < colon || value.data() > end_) {
    ec = RequestError::kObsFold;
    return;
  }
  for (const char* p = colon + 1; p < value.data(); ++p) {
    if (!is_ows(*p)) {
      ec = RequestError::kObsFold;
      return;
    }
  }
  if (in_trailers_) {
    ++trailer_count_;  // trailer fields count against the same limit, and are not kept
    return;
  }
  switch (f) {
    case http::field::host:
      if (++host_count_ > 1) {
        ec = RequestError::kDuplicateHost;
        return;
      }
      if (!is_valid_host(value)) {
        ec = RequestError::kBadHost;
        return;
      }
      if (head_.host.size == 0) head_.host = span_of(value);
      break;
    case http::field::content_length: {
      if (head_.has_content_length) {
        ec = RequestError::kDuplicateContentLength;
        return;
      }
      if (value.empty() || value.size() > 19 || !std::all_of(value.begin(), value.end(), is_ascii_digit)) {
        ec = RequestError::kBadContentLength;
        return;
      }
      std::uint64_t n = 0;
      for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      head_.has_content_length = true;
      head_.content_length = n;
      break;
    }
    case http::field::transfer_encoding:
      if (RequestError e = check_transfer_encoding(value); e != RequestError::kNone) {
        ec = e;
        return;
      }
      break;
    case http::field::expect:
      if (iequals(value, "100-continue")) {
        head_.expect_continue = true;
      } else {
        bad_expectation_ = true;
      }
      break;
    default:
      break;
  }
  headers_[head_.header_count++] = {span_of(name), span_of(value), static_cast<std::uint16_t>(f)};
}

void RequestParser::on_header_impl(error_code& ec) {
  in_trailers_ = true;
  if (head_.version >= 11 && host_count_ == 0) {
    ec = RequestError::kMissingHost;
    return;
  }
  if (has_transfer_encoding_) {
    // RFC 9112 6.1 and 6.3: TE in HTTP/1.0, TE with CL, or chunked not final: framing is unknown.
    if (head_.version < 11) {
      ec = RequestError::kTransferEncodingInHttp10;
      return;
    }
    if (head_.has_content_length) {
      ec = RequestError::kContentLengthWithTransferEncoding;
      return;
    }
    if (!chunked_last_) {
      ec = RequestError::kChunkedNotFinal;
      return;
    }
    if (unknown_coding_) {
      ec = RequestError::kTransferCodingUnsupported;
      return;
    }
    head_.chunked = true;
  }
  if (head_.version < 11) {
    head_.expect_continue = false;  // RFC 9110 10.1.1: ignore expectations in HTTP/1.0
  } else if (bad_expectation_) {
    ec = RequestError::kExpectationFailed;
    return;
  }
  if (!head_.chunked && head_.content_length == 0) head_.expect_continue = false;
  head_.keep_alive = keep_alive();
  body_limit(max_body_);  // chunks count against it as they arrive
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) {
  if (content_length && *content_length > max_body_) ec = http::error::body_limit;
}

std::size_t RequestParser::on_body_impl(boost::beast::string_view body, error_code&) {
  // Content-Length bodies arrive in place, right after the header section.
  head_.body.size += static_cast<std::uint32_t>(body.size());
  body_received_ += body.size();
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, boost::beast::string_view, error_code&) {
  // Chunk extensions are accepted and ignored (RFC 9112 7.1.1).
  chunk_remaining_ = size;
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                              error_code&) {
  chunk_remaining_ = remain - body.size();
  // Decode in place: the chunk's data always lies after the bytes decoded so far.
  char* destination = base_ + head_.body.offset + head_.body.size;
  if (destination != body.data()) std::memmove(destination, body.data(), body.size());
  head_.body.size += static_cast<std::uint32_t>(body.size());
  body_received_ += body.size();
  return body.size();
}

void RequestParser::on_finish_impl(error_code&) {}

RequestError classify(const error_code& ec) {
  if (!ec) return RequestError::kNone;
  if (ec.category() == request_error_category()) return static_cast<RequestError>(ec.value());
  if (ec == http::error::header_limit) return RequestError::kHeaderTooLarge;
  if (ec == http::error::body_limit) return RequestError::kBodyTooLarge;
  if (ec == http::error::bad_method) return RequestError::kBadMethod;
  if (ec == http::error::bad_target) return RequestError::kBadTarget;
  if (ec == http::error::bad_version) return RequestError::kBadVersion;
  if (ec == http::error::bad_field) return RequestError::kBadHeaderName;
  if (ec == http::error::bad_value) return RequestError::kBadHeaderValue;
  if (ec == http::error::bad_line_ending) return RequestError::kBadLineEnding;
  if (ec == http::error::bad_content_length) return RequestError::kBadContentLength;
  if (ec == http::error::multiple_content_length) return RequestError::kDuplicateContentLength;
  if (ec == http::error::bad_transfer_encoding) return RequestError::kChunkedNotFinal;
  if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
    return RequestError::kBadChunk;
  if (ec == http::error::partial_message) return RequestError::kPartialMessage;
  return RequestError::kBadRequestLine;
}

std::uint16_t field_code(std::string_view name) {
  return static_cast<std::uint16_t>(http::string_to_field(name));
}

}  // namespace surge::detail
