#include "http/response_writer.hpp"

#include <array>
#include <cstring>

#include <surge/status.hpp>

#include "http/response_state.hpp"

namespace surge::detail {
namespace {

// "HTTP/1.1 200 OK\r\n" for every code, built once; responses copy it instead of formatting.
struct StatusLines {
  std::array<std::string, 600> lines;
  StatusLines() {
    for (int code = 100; code < 600; ++code) {
      lines[code] = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason_phrase(code)) +
                    "\r\n";
    }
  }
};

std::string_view status_line(int status) {
  static const StatusLines kLines;
  if (status < 100 || status >= 600) status = 500;
  return kLines.lines[status];
}

char* put(char* p, std::string_view s) {
  if (s.empty()) return p;  // an empty view may have a null data(): memcpy must not see it
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_decimal(char* p, std::uint64_t n) {
  char digits[20];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  while (count > 0) *p++ = digits[--count];
  return p;
}

}  // namespace

ResponseWriter::ResponseWriter(std::string_view server_name, const DateCache& date) : date_(date) {
  if (!server_name.empty()) server_line_ = "Server: " + std::string(server_name) + "\r\n";
  status_line(200);  // build the table at start-up, not on the first request
}

void ResponseWriter::write_head(ByteBuffer& out, int status, std::string_view content_type,
                                std::string_view extra_headers, std::uint64_t body_size,
                                const Framing& framing) const {
  constexpr std::string_view kContentType = "Content-Type: ";
  constexpr std::string_view kContentLength = "Content-Length: ";
  constexpr std::string_view kClose = "Connection: close\r\n";
  constexpr std::string_view kKeepAlive = "Connection: keep-alive\r\n";
  constexpr std::string_view kChunked = "Transfer-Encoding: chunked\r\n";
  std::string_view line = status_line(status);
  std::size_t worst = line.size() + server_line_.size() + date_.header_line().size() +
                      kContentType.size() + content_type.size() + 2 + kChunked.size() + 22 +
                      extra_headers.size() + kKeepAlive.size() + 2;
  char* const start = out.prepare(worst);
  char* p = put(start, line);
  p = put(p, server_line_);
  p = put(p, date_.header_line());
  if (!content_type.empty()) {
    p = put(p, kContentType);
    p = put(p, content_type);
    p = put(p, "\r\n");
  }
  if (status_has_no_body(status)) {
    // RFC 9110 8.6: no Content-Length for 1xx and 204; 304 would announce the selected
    // representation's length, which a handler may not know: none either.
  } else if (body_size != ResponseState::kUnknownLength) {
    p = put(p, kContentLength);
    p = put_decimal(p, body_size);
    p = put(p, "\r\n");
  } else if (framing.chunked) {
    p = put(p, kChunked);
  }  // else: HTTP/1.0, the body ends when the connection closes (framing.close)
  p = put(p, extra_headers);
  if (framing.close) {
    p = put(p, kClose);
  } else if (framing.http10_keep_alive) {
    p = put(p, kKeepAlive);
  }
  p = put(p, "\r\n");
  out.commit(static_cast<std::size_t>(p - start));
}

void ResponseWriter::write(ByteBuffer& out, const ResponseState& response,
                           const Framing& framing) const {
  const int status = response.status();
  switch (response.body_kind()) {
    case BodyKind::kFile:
      // Announced here, sent by the session (sendfile) after these bytes.
      write_head(out, status, response.content_type(), response.extra_headers(),
                 response.file_length(), framing);
      return;
    case BodyKind::kStream:
      // Produced after these bytes, each piece framed by the session (write_chunk).
      write_head(out, status, response.content_type(), response.extra_headers(),
                 response.stream_length(), framing);
      return;
    case BodyKind::kBytes:
      break;
  }
  std::string_view body = response.body().view();
  write_head(out, status, response.content_type(), response.extra_headers(), body.size(), framing);
  if (!framing.head_request && !status_has_no_body(status)) out.append(body);
}

void ResponseWriter::write_chunk(ByteBuffer& out, std::string_view piece) {
  if (piece.empty()) return;  // an empty chunk would end the body
  constexpr char kHex[] = "0123456789abcdef";
  char size[16];
  int digits = 0;
  for (std::size_t n = piece.size(); n != 0; n >>= 4) size[digits++] = kHex[n & 15];
  char* p = out.prepare(static_cast<std::size_t>(digits) + 2 + piece.size() + 2);
  char* const start = p;
  while (digits > 0) *p++ = size[--digits];
  p = put(p, "\r\n");
  p = put(p, piece);
  p = put(p, "\r\n");
  out.commit(static_cast<std::size_t>(p - start));
}

void ResponseWriter::write_last_chunk(ByteBuffer& out) { out.append("0\r\n\r\n"); }

void ResponseWriter::write_text(ByteBuffer& out, int status, std::string_view body,
                                const Framing& framing) const {
  write_head(out, status, "text/plain; charset=utf-8", {}, body.size(), framing);
  if (!framing.head_request && !status_has_no_body(status)) out.append(body);
}

void ResponseWriter::write_continue(ByteBuffer& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

}  // namespace surge::detail
