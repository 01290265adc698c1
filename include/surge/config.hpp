#pragma once
// ServerConfig: everything the engine needs, as plain data with documented defaults.
//
// JSON keys (config/surge.json, parsed by surge::load_config) have the same names and nesting.
// Durations carry their unit in the name (`_ms`), sizes in bytes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace surge {

/// Request size limits. Each rejection is answered with the status given, a short plain-text
/// body naming the limit, one log line and one counter.
struct LimitsConfig {
  /// Request line without CRLF, bytes. Longer: 414. Default 8 KiB (nginx: 8 KiB).
  std::size_t max_request_line_bytes = 8 * 1024;
  /// Request line plus header section, bytes. Larger: 431. Default 16 KiB.
  std::size_t max_header_bytes = 16 * 1024;
  /// Header fields (and trailer fields) per request. More: 431. Default 100 (1..1000).
  std::size_t max_header_count = 100;
  /// Body bytes after decoding, decided from Content-Length before any body byte is read. Larger:
  /// 413. Default 1 MiB (nginx client_max_body_size). At most 1 GiB: bodies are held in memory.
  std::uint64_t max_body_bytes = 1024 * 1024;
  /// Open connections per worker. At the limit, the longest-idle connection that has no request
  /// in progress is closed to admit a new one (nginx's ngx_drain_connections); only when every
  /// connection is busy is the newcomer answered 503 and closed. Default 65536: an idle
  /// connection costs about 280 bytes, so the limit guards descriptors and pool address space,
  /// not memory (nginx's worker_connections is raised to tens of thousands for the same reason).
  std::size_t max_connections_per_worker = 65536;
  /// Requests served on one connection before it is closed (the last response says
  /// `Connection: close`), so a balancer's long-lived connections are spread again from time to
  /// time. 0 means unlimited. Default 10000.
  std::uint64_t max_requests_per_connection = 10000;
  /// Responses waiting to be written on one connection. A client that pipelines without reading
  /// stops being read until they are written. Default 64.
  std::size_t max_pipelined_responses = 64;

  bool operator==(const LimitsConfig&) const = default;
};

/// Timeouts, each in milliseconds.
struct TimeoutsConfig {
  /// From the first byte of a request (or from accept) to the end of its header section: a
  /// client trickling a header is cut off. Default 10 s (nginx: 60 s; shorter defends better
  /// against slowloris, and a balancer sends headers at once).
  std::chrono::milliseconds header{10'000};
  /// Longest pause between two reads of a request body. Default 30 s.
  std::chrono::milliseconds body{30'000};
  /// Slowest average rate, bytes per second, at which a request body may arrive once
  /// min_rate_grace has passed since it began; slower: 408 and close (the "slow POST" / R-U-Dead-Yet
  /// attack, which body's pause alone cannot stop: a byte every few seconds never pauses long).
  /// Checked as body bytes arrive. 0 disables it. Default 240 (Kestrel's MinRequestBodyDataRate).
  std::uint64_t body_min_bytes_per_s = 240;
  /// Slowest average rate, bytes per second, at which a client may read a response that fills the
  /// socket buffers, once min_rate_grace has passed since the write first had to wait; slower:
  /// the connection is closed (a slow reader holding a large response). 0 disables it.
  /// Default 240 (Kestrel's MinResponseDataRate).
  std::uint64_t send_min_bytes_per_s = 240;
  /// How long a body or a blocked response may run below its minimum rate at first (slow starts,
  /// a short stall). Default 5 s (Kestrel's grace period).
  std::chrono::milliseconds min_rate_grace{5'000};
  /// Keep-alive idle time between requests. Default 75 s, longer than the usual balancer idle
  /// timeout (60 s) so the balancer, not surged, closes idle connections and never races a close
  /// into a 502.
  std::chrono::milliseconds idle{75'000};
  /// Longest pause in writing a response (a client that does not read is cut off). Default 30 s.
  std::chrono::milliseconds write{30'000};
  /// After a response that closes the connection while the client may still be sending, how long
  /// input is read and discarded so the client sees the response instead of a reset. Default 5 s.
  std::chrono::milliseconds linger{5'000};
  /// A handler that answers asynchronously (Context::defer / offload) gets this long; then the
  /// request is answered 504 and a late completion is dropped. A route's own timeout overrides
  /// it. Default 30 s.
  std::chrono::milliseconds handler{30'000};

  bool operator==(const TimeoutsConfig&) const = default;
};

/// The thread pool for blocking work handed off by handlers (Context::offload).
struct OffloadConfig {
  /// Threads. 0 disables offloading (every offload is answered 503). Default 4.
  std::size_t threads = 4;
  /// Jobs waiting for a thread; beyond it an offload is answered 503 at once. Default 1024.
  std::size_t queue = 1024;

  bool operator==(const OffloadConfig&) const = default;
};

/// Graceful shutdown on SIGTERM/SIGINT.
struct ShutdownConfig {
  /// Readiness reports 503 at once and every response closes its connection (keep-alive
  /// connections retire at a response boundary); listeners keep accepting this long so a load
  /// balancer can notice before connections are refused. Default 0 (set it behind a balancer).
  std::chrono::milliseconds drain_delay{0};
  /// After listeners close, in-flight requests have this long before connections are
  /// force-closed. Default 30 s.
  std::chrono::milliseconds timeout{30'000};

  bool operator==(const ShutdownConfig&) const = default;
};

/// Per-worker object pools. Beyond capacity, objects come from the heap and are counted as misses.
struct PoolsConfig {
  /// Bytes of one pooled I/O buffer (read buffers, small response buffers). Default 4 KiB.
  std::size_t buffer_bytes = 4 * 1024;
  /// Pooled I/O buffers per worker. Default 4096.
  std::size_t buffers_per_worker = 4096;
  /// Pooled request contexts per worker (one per request in progress). Default 1024.
  std::size_t contexts_per_worker = 1024;
  /// An idle keep-alive connection gives its buffers back to the pool after this long, so idle
  /// connections cost almost nothing. Milliseconds. Default 200.
  std::chrono::milliseconds release_idle_after{200};

  bool operator==(const PoolsConfig&) const = default;
};

struct ServerConfig {
  /// Addresses to listen on ("0.0.0.0:8080", "[::]:8080", "127.0.0.1:0" for an ephemeral port).
  /// Every worker listens on each with SO_REUSEPORT. Default {"0.0.0.0:8080"}.
  std::vector<std::string> listen{"0.0.0.0:8080"};
  /// Listening sockets inherited from a service manager (systemd socket activation). When not
  /// empty they are used instead of `listen`: every worker accepts on each (its own dup of the
  /// descriptor), and the socket outlives the process, so a restart refuses no connection. The
  /// server does not close these descriptors. Default: none.
  std::vector<int> inherited_listeners;
  /// Worker threads (one io_context and one acceptor per listen address each). 0: the number of
  /// CPUs this process may run on. Default 0.
  unsigned threads = 0;
  /// Pin worker i to the i-th allowed CPU. Default false.
  bool pin_workers = false;
  /// listen(2) backlog per acceptor. Default 4096.
  int backlog = 4096;
  /// Value of the Server response header; empty sends none. Default "surge".
  std::string server_header = "surge";

  LimitsConfig limits;
  TimeoutsConfig timeouts;
  ShutdownConfig shutdown;
  PoolsConfig pools;
  OffloadConfig offload;

  bool operator==(const ServerConfig&) const = default;
};

/// Checks every field's range (as the configuration file gives them: README "Configuration") and
/// the rules between fields: at least one listen address, each one parseable, at most 1024
/// workers, max_request_line_bytes <= max_header_bytes, no control characters in server_header.
/// Throws InvalidField naming the key ("limits/max_header_count", "listen/1").
void validate(const ServerConfig& config);

}  // namespace surge
