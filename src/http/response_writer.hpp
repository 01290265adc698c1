#pragma once
// ResponseWriter: serialises responses into a connection's output buffer.

#include <string>
#include <string_view>

#include "http/date_cache.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

class Exchange;

/// How the engine frames one response on its connection.
struct Framing {
  bool head_request = false;      // HEAD: headers (with Content-Length) but no body
  bool close = false;             // the connection closes after this response
  bool http10_keep_alive = false; // an HTTP/1.0 client asked for keep-alive: say it is granted
};

/// Writes the status line, the engine's fields (Server, Date, Content-Type, Content-Length,
/// Connection), the handler's fields and the body. One per worker: it holds the preformatted
/// Server line and reads the worker's date cache.
class ResponseWriter final {
 public:
  ResponseWriter(std::string_view server_name, const DateCache& date);

  /// The exchange's response. A file body (Exchange::has_file_body) is only announced
  /// (Content-Length); the caller sends the file after these bytes.
  void write(ByteBuffer& out, const Exchange& exchange, const Framing& framing) const;
  /// A plain-text response the engine makes itself (errors, built-ins).
  void write_text(ByteBuffer& out, int status, std::string_view body, const Framing& framing) const;
  /// "HTTP/1.1 100 Continue\r\n\r\n"
  static void write_continue(ByteBuffer& out);

 private:
  void write_head(ByteBuffer& out, int status, std::string_view content_type,
                  std::string_view extra_headers, std::uint64_t body_size,
                  const Framing& framing) const;

  std::string server_line_;  // "Server: name\r\n", or empty
  const DateCache& date_;
};

}  // namespace surge::detail
