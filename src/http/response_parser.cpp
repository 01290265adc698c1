#include "http/response_parser.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "http/grammar.hpp"

namespace surge::detail {
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}


std::string_view without_crlf(std::string_view s) {
  return s.substr(0, 2) == "\r\n" ? s.substr(2) : s;
}

// "0\r\n\r\n": the fewest bytes that can end a chunked body.
constexpr std::size_t kShortestLastChunk = 5;

// Whether a chunk line's first bytes may be a last chunk's ("0", after the previous chunk's CRLF).
bool may_be_last_chunk(std::string_view pending) {
  pending = without_crlf(pending);
  return pending.empty() || pending.front() == '0' || pending == "\r";
}

// The status line's first bytes, judged as they arrive: garbage (an HTML page, a TLS alert) is
// refused at once, and a higher HTTP/1.x minor becomes 1 before Beast, which only knows 1.0 and
// 1.1, sees it (RFC 9110 2.5).
UpstreamError check_version(char* line, std::size_t available, bool& complete) {
  constexpr std::string_view kPattern = "HTTP/1.d";
  for (std::size_t i = 0; i < available && i < kPattern.size(); ++i) {
    const char c = line[i];
    if (kPattern[i] == 'd' ? c < '0' || c > '9' : c != kPattern[i]) {
      return i < 5 ? UpstreamError::kBadStatusLine : UpstreamError::kBadVersion;
    }
  }
  if (available < kPattern.size()) return UpstreamError::kNone;
  if (line[7] > '1') line[7] = '1';
  complete = true;
  return UpstreamError::kNone;
}

// Beast refuses a chunk size beyond 64 bits as any other bad chunk line; say which it was. A
// chunk line after chunk data begins with that data's CRLF: without it, the framing is what is bad.
bool chunk_size_overflows(std::string_view line, bool after_data) {
  if (after_data) {
    if (line.substr(0, 2) != "\r\n") return false;
    line.remove_prefix(2);
  }
  std::size_t i = 0;
  while (i < line.size() && line[i] == '0')
    ++i;
  std::size_t digits = 0;
  for (; i < line.size() && hex_value(line[i]) >= 0; ++i)
    ++digits;
  return digits > 16;
}

// Beast buffers a chunk line, and the last chunk with its trailers, without bound. Each is held
// to the header limit, judged alike whether it is complete or still arriving (so how the stream
// was cut decides nothing): the line first, then the whole.
UpstreamError oversized_framing(std::string_view framing, std::size_t limit) {
  const std::string_view after = without_crlf(framing);
  if (after.substr(0, after.find("\r\n")).size() > limit) return UpstreamError::kChunkLineTooLong;
  return framing.size() > limit ? UpstreamError::kHeaderTooLarge : UpstreamError::kNone;
}

}  // namespace

ResponseParser::ResponseParser(const ResponseLimits& limits, HeaderEntry* headers,
                               ResponseTo request)
    : limits_(limits), headers_(headers), request_(request) {
  header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  body_limit(boost::none);  // bodies are streamed, never held
  skip(request.head);
  // One step per put(): the header alone first, then one chunk line or body piece at a time.
  eager(false);
}

std::size_t ResponseParser::parse(char* base, std::size_t begin, std::size_t end, error_code& ec) {
  base_ = base;
  end_ = base + end;
  piece_ = {};
  ec = {};
  if (is_done()) {
    // The proxy sends one request at a time: bytes after a final response are unexplained.
    if (begin < end && !head_.interim() && !head_.switching_protocols()) doubt_ = true;
    return 0;
  }
  if (begin == end) {
    ec = http::error::need_more;
    return 0;
  }
  if (!started_) {
    started_ = true;
    message_offset_ = begin;
  }
  const std::size_t used =
      header_done() ? parse_body(begin, end, ec) : parse_header(begin, end, ec);
  if (!ec && is_done() && begin + used < end && !head_.interim() && !head_.switching_protocols()) {
    doubt_ = true;
  }
  return used;
}

std::size_t ResponseParser::parse_header(std::size_t begin, std::size_t end, error_code& ec) {
  if (!version_checked_) {
    if (UpstreamError e =
            check_version(base_ + message_offset_, end - message_offset_, version_checked_);
        e != UpstreamError::kNone) {
      ec = e;
      return 0;
    }
    if (!version_checked_) {
      ec = http::error::need_more;
      return 0;
    }
  }
  const std::size_t pos = begin + put(boost::asio::const_buffer(base_ + begin, end - begin), ec);
  // Beast reports "Transfer-Encoding after Content-Length" and "chunked twice" alike, and a
  // Content-Length after chunked as an invalid one.
  if ((ec == http::error::bad_transfer_encoding && head_.has_content_length) ||
      (ec == http::error::bad_content_length && has_transfer_encoding_)) {
    ec = UpstreamError::kContentLengthWithTransferEncoding;
  }
  if (ec && ec != http::error::need_more) return pos - begin;
  // Beast measures its header limit from the first unconsumed field, so the total is checked here.
  if ((is_header_done() ? pos : end) - message_offset_ > limits_.max_header_bytes) {
    ec = UpstreamError::kHeaderTooLarge;
  }
  return pos - begin;
}

std::size_t ResponseParser::parse_body(std::size_t begin, std::size_t end, error_code& ec) {
  const bool chunked = head_.body == ResponseBody::kChunked;
  std::size_t pos = begin;
  while (!is_done() && piece_.size == 0) {
    if (pos == end) {
      ec = http::error::need_more;
      break;
    }
    const std::string_view rest(base_ + pos, end - pos);
    if (chunked && chunk_remaining_ == 0 && rest.size() < kShortestLastChunk &&
        may_be_last_chunk(rest)) {
      // Beast 1.81 asserts that a last chunk it has begun to read is followed by at least 5 bytes
      // ("0\r\n" then "\r" trips it; fixed in Beast PR #2861). No chunk header can end the body
      // in fewer, so nothing is lost by waiting for them.
      ec = http::error::need_more;
      break;
    }
    const std::size_t used = put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
    pos += used;
    if (chunked && piece_.size == 0) {
      // A chunk line, or the last chunk with its trailers: complete (used) or still arriving.
      if (ec == http::error::bad_chunk && chunk_size_overflows(rest, after_data_)) {
        ec = UpstreamError::kChunkSizeOverflow;
      } else if (!ec || ec == http::error::need_more) {
        if (UpstreamError e =
                oversized_framing(ec ? rest : rest.substr(0, used), limits_.max_header_bytes);
            e != UpstreamError::kNone) {
          ec = e;
        }
      }
    }
    if (ec) break;
  }
  return pos - begin;
}

void ResponseParser::on_eof(error_code& ec) {
  ec = {};
  if (!started_) {
    ec = UpstreamError::kNoResponse;
  } else if (is_done()) {
    return;
  } else if (header_done() && head_.body == ResponseBody::kUntilClose) {
    put_eof(ec);  // the close is the end of the body
  } else {
    ec = UpstreamError::kPartialMessage;
  }
}

bool ResponseParser::reusable() const {
  return is_done() && !doubt_ && head_.keep_alive && !head_.interim() &&
         !head_.switching_protocols() && head_.body != ResponseBody::kUntilClose;
}

void ResponseParser::on_response_impl(int code, boost::beast::string_view reason, int version,
                                      error_code& ec) {
  if (code < 100 || code > 599) {
    ec = UpstreamError::kBadStatus;
    return;
  }
  // A 101 makes the connection a tunnel: only after the client asked for it (Pingora's
  // CVE-2026-2833 was a tunnel opened by an upstream that answered otherwise).
  if (code == 101 && !request_.upgrade) {
    ec = UpstreamError::kUnexpectedSwitch;
    return;
  }
  head_.status = static_cast<std::uint16_t>(code);
  head_.version = static_cast<std::uint8_t>(version);
  head_.reason = span_of(std::string_view(reason.data(), reason.size()));
}

UpstreamError ResponseParser::check_transfer_encoding(std::string_view value) {
  has_transfer_encoding_ = true;
  bool any = false;
  while (true) {
    const auto comma = value.find(',');
    const std::string_view element = trim_ows(value.substr(0, comma));
    if (!element.empty()) {
      any = true;
      const std::string_view coding = trim_ows(element.substr(0, element.find(';')));
      if (!is_token(coding)) return UpstreamError::kBadTransferEncoding;
      if (iequals(coding, "chunked")) {
        // RFC 9112 7: chunked is applied once and has no parameters.
        if (chunked_seen_ || coding.size() != element.size())
          return UpstreamError::kBadTransferEncoding;
        chunked_seen_ = true;
        chunked_last_ = true;
      } else {
        chunked_last_ = false;
        head_.transfer_coded = true;
      }
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return any ? UpstreamError::kNone : UpstreamError::kBadTransferEncoding;
}

void ResponseParser::on_field_impl(http::field f, boost::beast::string_view name_sv,
                                   boost::beast::string_view value_sv, error_code& ec) {
  const std::string_view name(name_sv.data(), name_sv.size());
  const std::string_view value(value_sv.data(), value_sv.size());
  if (head_.header_count + trailer_count_ >= limits_.max_header_count) {
    ec = UpstreamError::kTooManyHeaders;
    return;
  }
  // Beast unfolds obs-fold silently: a folded value is either copied out of the buffer, or
  // separated from the colon by a line break.
  const char* colon = name.data() + name.size();
  if (value.data() < colon || value.data() > end_) {
    ec = UpstreamError::kObsFold;
    return;
  }
  for (const char* p = colon + 1; p < value.data(); ++p) {
    if (!is_ows(*p)) {
      ec = UpstreamError::kObsFold;
      return;
    }
  }
  if (in_trailers_) {
    ++trailer_count_;  // trailer fields count against the same limit, and are not kept
    return;
  }
  if (f == http::field::content_length) {
    // Beast has checked the list: every value is a number and they are all equal. Repeating it
    // is allowed (RFC 9110 8.6) but unusual enough not to bet the connection on.
    if (head_.has_content_length || value.find(',') != std::string_view::npos) doubt_ = true;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) {
      n = n * 10 + static_cast<std::uint64_t>(value[i] - '0');
    }
    head_.has_content_length = true;
    head_.content_length = n;
  } else if (f == http::field::transfer_encoding) {
    if (UpstreamError e = check_transfer_encoding(value); e != UpstreamError::kNone) {
      ec = e;
      return;
    }
  }
  headers_[head_.header_count++] = {span_of(name), span_of(value), static_cast<std::uint16_t>(f)};
}

void ResponseParser::on_header_impl(error_code& ec) {
  in_trailers_ = true;
  if (has_transfer_encoding_) {
    // RFC 9112 6.1 and 6.3: TE in HTTP/1.0 or TE with CL leave the framing in doubt.
    if (head_.version < 11) {
      ec = UpstreamError::kTransferEncodingInHttp10;
      return;
    }
    if (head_.has_content_length) {
      ec = UpstreamError::kContentLengthWithTransferEncoding;
      return;
    }
    // Our reading of the codings and Beast's must agree, or the body would be misframed.
    if (chunked_last_ != chunked()) {
      ec = UpstreamError::kBadTransferEncoding;
      return;
    }
  }
  const int status = head_.status;
  if (request_.head || status < 200 || status == 204 || status == 304) {
    head_.body = ResponseBody::kNone;
  } else if (chunked()) {
    head_.body = ResponseBody::kChunked;
  } else if (head_.has_content_length) {
    head_.body = ResponseBody::kContentLength;
  } else {
    head_.body = ResponseBody::kUntilClose;  // RFC 9112 6.3, items 4 and 8
  }
  // A 1xx or 204 must not announce a body (RFC 9110 8.6, RFC 9112 6.1): one that does may send it.
  if ((status < 200 || status == 204) && (head_.content_length > 0 || has_transfer_encoding_))
    doubt_ = true;
  head_.keep_alive = keep_alive();
}

std::size_t ResponseParser::on_body_impl(boost::beast::string_view body, error_code&) {
  piece_ = span_of(std::string_view(body.data(), body.size()));
  body_received_ += body.size();
  return body.size();
}

void ResponseParser::on_chunk_header_impl(std::uint64_t size, boost::beast::string_view,
                                          error_code&) {
  // Chunk extensions are accepted and ignored (RFC 9112 7.1.1).
  chunk_remaining_ = size;
  after_data_ = size > 0;
}

std::size_t ResponseParser::on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                               error_code&) {
  chunk_remaining_ = remain - body.size();
  piece_ = span_of(std::string_view(body.data(), body.size()));
  body_received_ += body.size();
  return body.size();
}

}  // namespace surge::detail
