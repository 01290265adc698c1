#pragma once
// ScriptedUpstream: a test upstream on 127.0.0.1 that answers each request as the test says
// (any bytes, slowly, closing, resetting), and records what reached it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace surge::test {

/// One request as the upstream received it.
struct UpstreamRequest {
  std::string head;  // request line and fields, up to the empty line
  std::string body;  // decoded
  bool chunked = false;
  int connection = 0;  // which connection (0, 1, ... in accept order)
  int index = 0;       // its position on that connection
  /// The value of the first field `name` (case-insensitive), or "" (and has_header false).
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  std::string request_line() const { return head.substr(0, head.find("\r\n")); }
};

/// What the upstream does with a request.
struct UpstreamReply {
  std::string bytes;                      // sent as they are (framing is the test's business)
  std::chrono::milliseconds delay{0};     // before sending
  bool close = false;                     // close the connection after sending
  bool reset = false;                     // close with a reset (SO_LINGER 0) after sending
};

/// The simplest well-formed answer: 200 with body and Content-Length.
UpstreamReply ok(std::string_view body, std::string_view extra_headers = "");

class ScriptedUpstream {
 public:
  using Script = std::function<UpstreamReply(const UpstreamRequest&)>;
  explicit ScriptedUpstream(Script script);
  ~ScriptedUpstream();
  ScriptedUpstream(const ScriptedUpstream&) = delete;
  ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<UpstreamRequest> requests() const;
  int connections() const { return accepted_.load(); }
  /// Connections closed by their peer (surged) so far.
  int closed_by_peer() const { return closed_by_peer_.load(); }
  /// Waits until n requests arrived (false after the timeout).
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  void accept_loop();
  void serve(int fd, int connection);

  Script script_;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
  std::vector<int> fds_;
  mutable std::mutex mutex_;
  std::vector<UpstreamRequest> requests_;
  std::atomic<int> accepted_{0};
  std::atomic<int> closed_by_peer_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace surge::test
