#pragma once
// ResponseWriter: serialises responses into a connection's output buffer.

#include <string>
#include <string_view>

#include "http/date_cache.hpp"
#include "memory/byte_buffer.hpp"

namespace surge::detail {

class ResponseState;

/// How the engine frames one response on its connection.
struct Framing {
  bool head_request = false;      // HEAD: headers (with Content-Length) but no body
  bool close = false;             // the connection closes after this response
  bool http10_keep_alive = false; // an HTTP/1.0 client asked for keep-alive: say it is granted
  bool chunked = false;           // a body of unknown length goes chunked (HTTP/1.1 peers);
                                  // otherwise it ends with the connection (close must be set)
};

/// Writes the status line, the engine's fields (Server, Date, Content-Type, Content-Length,
/// Connection), the handler's fields and the body. One per worker: it holds the preformatted
/// Server line and reads the worker's date cache.
class ResponseWriter final {
 public:
  ResponseWriter(std::string_view server_name, const DateCache& date);

  /// The response's head, and its body when it is bytes. A file or stream body is only announced
  /// (Content-Length, or chunked for a stream of unknown length): the session sends it after.
  void write(ByteBuffer& out, const ResponseState& response, const Framing& framing) const;
  /// One piece of a chunked body (nothing for an empty piece: that would end the body).
  static void write_chunk(ByteBuffer& out, std::string_view piece);
  /// The end of a chunked body (no trailers).
  static void write_last_chunk(ByteBuffer& out);
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
