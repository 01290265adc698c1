// ConnectionModel: the invariants it checks at every step, and the reference decoders they use.
// Driving the session's read side is in connection_model.cpp.
#include <algorithm>
#include <optional>
#include <string>

#include <surge/method.hpp>

#include "fuzz/connection_model.hpp"
#include "fuzz/fuzz_check.hpp"

namespace surge::fuzz {
namespace {

using detail::RequestHead;
using detail::RequestInput;
using detail::Span;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every '%' starts a %HH escape, and there is no fragment: what the parser promises the router.
bool clean_escapes(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '#') return false;
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

// A reference decoder of a chunked body (RFC 9112 7.1) that the parser accepted: the chunks'
// data, or nothing if the framing does not hold up. Extensions and trailer fields are skipped.
std::optional<std::string> decode_chunked(std::string_view framed) {
  std::string data;
  std::size_t i = 0;
  for (;;) {
    std::uint64_t size = 0;
    std::size_t digits = 0;
    for (; i < framed.size() && hex_value(framed[i]) >= 0; ++i, ++digits) {
      if (size >> 60 != 0) return std::nullopt;
      size = size * 16 + static_cast<std::uint64_t>(hex_value(framed[i]));
    }
    const std::size_t eol = framed.find("\r\n", i);
    if (digits == 0 || eol == std::string_view::npos) return std::nullopt;
    i = eol + 2;
    if (size == 0) {
      // Trailer fields, then the empty line that ends the message and the bytes given here.
      const std::string_view rest = framed.substr(i);
      if (rest != "\r\n" && !(rest.size() >= 4 && rest.substr(rest.size() - 4) == "\r\n\r\n")) {
        return std::nullopt;
      }
      return data;
    }
    if (framed.size() - i < size + 2 || framed.substr(i + size, 2) != "\r\n") return std::nullopt;
    data.append(framed.substr(i, size));
    i += size + 2;
  }
}

std::string printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 200)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace

void ConnectionModel::snapshot_header() {
  const RequestHead& head = exchange_.head();
  // Remember every view of the header as the handler would see it now, and check that each is
  // the client's own bytes.
  snapshot_ = {};
  auto keep = [&](Span span) {
    if (span.size == 0) return;
    const std::string bytes(exchange_.view(span));
    const std::size_t at = shift_ + span.offset;
    SURGE_FUZZ_CHECK(at + span.size <= stream_.size());
    SURGE_FUZZ_CHECK_MSG(stream_.substr(at, span.size) == bytes,
                         "a header view is not what the client sent: " + printable(bytes));
    snapshot_.spans.emplace_back(span, bytes);
  };
  keep(head.method_text);
  keep(head.target);
  keep(head.path);
  keep(head.query);
  keep(head.host);
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    keep(exchange_.header(i).name);
    keep(exchange_.header(i).value);
  }
  snapshot_.body_stream_offset = shift_ + head.body.offset;
  snapshot_.capacity = input_.capacity();
  if (head.expect_continue) {
    SURGE_FUZZ_CHECK(head.version == 11);
    SURGE_FUZZ_CHECK(head.chunked || head.content_length > 0);
  }
}

std::uint64_t ConnectionModel::body_limit() const {
  return snapshot_.route_limit != 0 ? snapshot_.route_limit : limits_.parser.max_body_bytes;
}

void ConnectionModel::check_after_parse() {
  const detail::RequestParser& parser = exchange_.parser();
  if (parser.started()) SURGE_FUZZ_CHECK(parser.request_offset() < input_.size());
  if (!parser.header_done()) {
    SURGE_FUZZ_CHECK(!parser.done());
    return;
  }
  const RequestHead& head = parser.head();
  const std::size_t header_end = head.body.offset;
  SURGE_FUZZ_CHECK(header_end > parser.request_offset());
  SURGE_FUZZ_CHECK(header_end - parser.request_offset() <= limits_.parser.max_header_bytes);
  // The body decoded so far lies before what is not parsed yet.
  SURGE_FUZZ_CHECK(head.body.offset + head.body.size <= input_.position());
  SURGE_FUZZ_CHECK(head.body.size <= parser.body_received());
  SURGE_FUZZ_CHECK(parser.body_received() <= body_limit());
  SURGE_FUZZ_CHECK(head.version == 10 || head.version == 11);
  SURGE_FUZZ_CHECK(!(head.chunked && head.has_content_length));
  SURGE_FUZZ_CHECK(head.header_count <= limits_.parser.max_header_count);
  if (!head.chunked) SURGE_FUZZ_CHECK(parser.body_received() <= head.content_length);
  check_head_spans();
}

void ConnectionModel::check_head_spans() {
  const detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  const std::size_t first = parser.request_offset();
  const std::size_t header_end = head.body.offset;
  auto inside = [&](Span span, const char* what) {
    if (span.size == 0) return;
    SURGE_FUZZ_CHECK_MSG(span.offset >= first && span.offset + span.size <= header_end,
                         std::string(what) + " lies outside the request's header section");
  };
  inside(head.method_text, "the method");
  inside(head.target, "the target");
  inside(head.path, "the path");
  inside(head.query, "the query");
  inside(head.host, "the host");
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    inside(exchange_.header(i).name, "a field name");
    inside(exchange_.header(i).value, "a field value");
  }
}

void ConnectionModel::check_complete_request(std::string_view body) {
  const detail::RequestParser& parser = exchange_.parser();
  const RequestHead& head = parser.head();
  SURGE_FUZZ_CHECK(parser.done() && in_flight_);

  // Whatever the buffer went through (grown for the body, chunk framing compacted away, a
  // streamed body's pieces taken), every view of the header still shows the same bytes.
  for (const auto& [span, bytes] : snapshot_.spans) {
    SURGE_FUZZ_CHECK(span.offset + span.size <= input_.size());
    SURGE_FUZZ_CHECK_MSG(exchange_.view(span) == bytes,
                         "a header view changed while the body was read: " + printable(bytes) +
                             " is now " + printable(exchange_.view(span)));
  }

  // A valid head.
  Method method;
  const std::string_view method_text = exchange_.view(head.method_text);
  if (head.method == Method::kOther) {
    SURGE_FUZZ_CHECK(!method_text.empty() && !parse_method(method_text, method) && method_text != "CONNECT");
  } else {
    SURGE_FUZZ_CHECK(parse_method(method_text, method) && method == head.method);
  }
  const std::string_view target = exchange_.view(head.target);
  const std::string_view path = exchange_.view(head.path);
  SURGE_FUZZ_CHECK(!target.empty());
  if (path.empty()) {
    SURGE_FUZZ_CHECK(target.front() != '/');  // absolute-form without a path
  } else {
    SURGE_FUZZ_CHECK(path.front() == '/' || (path == "*" && head.method == Method::kOptions));
  }
  SURGE_FUZZ_CHECK_MSG(clean_escapes(path) && clean_escapes(exchange_.view(head.query)),
                       printable(target));
  SURGE_FUZZ_CHECK(detail::is_valid_host(exchange_.view(head.host)));
  SURGE_FUZZ_CHECK(body.size() == parser.body_received());
  if (head.has_content_length) {
    SURGE_FUZZ_CHECK(body.size() == head.content_length);
  } else if (!head.chunked) {
    SURGE_FUZZ_CHECK(body.empty());
  }

  // The body is what the client framed: the Content-Length bytes as they are, or the chunks'
  // data decoded.
  const std::size_t end = shift_ + input_.position();  // stream offset just past this request
  SURGE_FUZZ_CHECK(snapshot_.body_stream_offset <= end && end <= taken_);
  const std::string_view framed =
      stream_.substr(snapshot_.body_stream_offset, end - snapshot_.body_stream_offset);
  if (head.chunked) {
    const std::optional<std::string> expected = decode_chunked(framed);
    SURGE_FUZZ_CHECK_MSG(expected.has_value(),
                         "accepted chunked framing that does not decode: " + printable(framed));
    SURGE_FUZZ_CHECK_MSG(*expected == body, "decoded body " + printable(body) +
                                                " differs from the chunks' data " +
                                                printable(*expected));
  } else {
    SURGE_FUZZ_CHECK_MSG(framed == body, "body " + printable(body) +
                                             " differs from the bytes sent " + printable(framed));
  }
}

void ConnectionModel::check_refusal_for_size() {
  // make_room() refused to grow: the request must be beyond a limit that applies to it.
  const detail::RequestParser& parser = exchange_.parser();
  const std::size_t rest = input_.size() - input_.position();
  if (!parser.header_done()) {
    SURGE_FUZZ_CHECK_MSG(input_.size() - parser.request_offset() > limits_.parser.max_header_bytes,
                         "a header within limits.max_header_bytes is refused as too large");
    return;
  }
  // An endless chunk line is refused whatever the body's size.
  if (exchange_.head().chunked && rest > limits_.parser.max_header_bytes) return;
  // Counting what is buffered but not decoded yet; the route's limit when it has one.
  const std::uint64_t pending = parser.body_received() + rest;
  SURGE_FUZZ_CHECK_MSG(pending > body_limit(),
                       "a body within its limit (" + std::to_string(body_limit()) +
                           " bytes) is refused as too large with " + std::to_string(pending) +
                           " bytes received, its header ending at buffer offset " +
                           std::to_string(exchange_.head().body.offset));
}

void ConnectionModel::check_streaming_memory() {
  // While a body streams, the buffer holds the header (and the answered requests before it), the
  // unparsed rest (a chunk line: at most max_header_bytes) and one read room, whatever the body's
  // size. ByteBuffer doubles when it grows: less than twice that.
  if (!active_ || !streaming() || exchange_.parser().done()) return;
  const std::size_t held =
      exchange_.head().body.offset + limits_.parser.max_header_bytes + RequestInput::kMinReadRoom;
  const std::size_t bound = std::max(snapshot_.capacity, 2 * held);
  SURGE_FUZZ_CHECK_MSG(input_.capacity() <= bound,
                       "a streamed body grows the read buffer to " +
                           std::to_string(input_.capacity()) + " bytes (" +
                           std::to_string(exchange_.parser().body_received()) +
                           " body bytes received, header ending at " +
                           std::to_string(exchange_.head().body.offset) + ")");
}

}  // namespace surge::fuzz
