#pragma once
// CloseReason: why a connection ended (a metric label and a log word).

#include <cstdint>
#include <string_view>

namespace surge::detail {

enum class CloseReason : std::uint8_t {
  kClient,          // the client closed (or reset) the connection
  kIdleTimeout,     // keep-alive idle timeout
  kHeaderTimeout,   // request header not complete in time (slowloris)
  kBodyTimeout,     // body stalled
  kWriteTimeout,    // client did not read its response
  kLimit,           // a request limit was hit, or connections per worker exceeded
  kBadRequest,      // framing or syntax error
  kServer,          // Connection: close, requests-per-connection, shutdown
  kError,           // socket error
  kReclaimed,       // idle, closed to admit a new connection at limits.max_connections_per_worker
  kBodyTooSlow,     // request body below timeouts.body_min_bytes_per_s (slow POST)
  kReaderTooSlow,   // response read below timeouts.send_min_bytes_per_s
  kUpgraded,        // handed over to a tunnel after a 101 (the tunnel closes it later)
  kCount
};

constexpr std::string_view to_string(CloseReason r) {
  constexpr std::string_view kNames[] = {"client",        "idle_timeout", "header_timeout",
                                         "body_timeout",  "write_timeout", "limit",
                                         "bad_request",   "server",        "error",
                                         "reclaimed",     "body_too_slow", "reader_too_slow",
                                         "upgraded"};
  return kNames[static_cast<std::size_t>(r)];
}

}  // namespace surge::detail
