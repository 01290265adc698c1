#pragma once
// RawClient: a blocking loopback TCP client for integration tests, byte-exact and with timeouts.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace surge::test {

using namespace std::chrono_literals;

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool chunks = false;          // the body came with chunked transfer coding, complete
  std::size_t chunk_count = 0;  // how many chunks it came in

  /// First header with this name (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  bool closes() const;  // "Connection: close"
};

/// Every read is bounded by a timeout (a hung server fails the test instead of hanging it).
class RawClient {
 public:
  /// Connects to 127.0.0.1:port; throws std::runtime_error if it cannot.
  explicit RawClient(std::uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  /// Sends all bytes; false if the connection is gone (reset, broken pipe).
  bool send(std::string_view bytes);
  /// Half-closes the sending direction.
  void shutdown_write();

  /// Reads one response. For a HEAD request pass head=true (no body is read). nullopt if the
  /// connection closed or nothing complete arrived within the timeout.
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = 5s, bool head = false);
  /// Everything the server still sends until it closes (or the timeout passes).
  std::string read_until_closed(std::chrono::milliseconds timeout = 5s);
  /// True if the server closed (EOF or reset) within the timeout, discarding any data.
  bool wait_closed(std::chrono::milliseconds timeout = 5s);
  /// Bytes available within the timeout (may be empty).
  std::string read_some(std::chrono::milliseconds timeout);

  int fd() const { return fd_; }
  bool peer_closed() const { return eof_; }

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string pending_;
  bool eof_ = false;
};

/// Sends one request on a new connection and reads one response.
std::optional<HttpResponse> fetch(std::uint16_t port, std::string_view request,
                                  std::chrono::milliseconds timeout = 5s);
/// "GET <target> HTTP/1.1\r\nHost: test\r\n<extra>\r\n"
std::string get(std::string_view target, std::string_view extra_headers = "");

}  // namespace surge::test
