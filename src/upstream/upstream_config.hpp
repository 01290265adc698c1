#pragma once
// UpstreamConfig: one entry of the configuration's "upstreams" section (README "Proxy").

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <surge/traffic_protection.hpp>  // StatusRange

namespace surge::detail {

/// One server of an upstream.
struct UpstreamServerConfig {
  std::string address;      // "host:port" or "[v6]:port"; a name is resolved at start and reload
  std::uint32_t weight = 1; // 1..1000: its share of the requests

  bool operator==(const UpstreamServerConfig&) const = default;
};

/// How long the proxy waits on an upstream.
struct UpstreamTimeouts {
  std::chrono::milliseconds connect{2000};  // TCP connect (nginx's proxy_connect_timeout is 60 s; a
                                            // healthy local network connects in microseconds)
  std::chrono::milliseconds read{60000};    // longest wait for the next response bytes (the
                                            // first included): nginx's proxy_read_timeout
  std::chrono::milliseconds send{60000};    // longest wait for the upstream to take request bytes

  bool operator==(const UpstreamTimeouts&) const = default;
};

/// The per-worker keep-alive pools to an upstream's servers.
struct UpstreamKeepalive {
  std::uint32_t idle_per_host = 64;               // idle connections kept per host per worker (0: none)
  std::chrono::milliseconds idle_timeout{4000};   // below Node's 5 s default keep-alive, so the
                                                  // pool lets a connection go before the upstream does
  std::uint32_t max_requests = 10000;             // requests per connection, then it closes (0: no cap)
  std::chrono::milliseconds max_lifetime{600000}; // age after which a connection is not reused

  bool operator==(const UpstreamKeepalive&) const = default;
};

/// Connections that became byte tunnels after the upstream's 101 (WebSocket and other Upgrades).
struct UpstreamTunnels {
  // Closed after this long with no byte either way. Long: WebSocket clients go quiet for minutes
  // (nginx's 60 s proxy_read_timeout cuts them); HAProxy's configs commonly set `timeout tunnel 1h`.
  std::chrono::milliseconds idle_timeout{3600000};
  std::uint32_t max_per_worker = 10000;  // open tunnels per worker; an Upgrade over it gets 503

  bool operator==(const UpstreamTunnels&) const = default;
};

/// How a request's host is chosen ("balance"). Every policy skips hosts that are ejected, marked
/// down by the active check or whose breaker is open, and hosts the request has tried already.
enum class BalancePolicy : std::uint8_t {
  kRoundRobin,    // nginx's smooth weighted round robin
  kLeastRequest,  // power of two choices on requests in flight / weight (Envoy's default)
  kPeakEwma,      // power of two choices on peak-EWMA latency x (requests in flight + 1) (Finagle)
  kRingHash,      // consistent hashing on a ring (ketama), keyed by hash_on
  kMaglev,        // consistent hashing on Maglev's lookup table, keyed by hash_on
};

/// What a hashing policy hashes. A request without the key (no such header, cookie or parameter)
/// falls back to least-request for that request.
enum class HashSource : std::uint8_t { kNone, kHeader, kCookie, kClientAddress, kParam };

struct UpstreamBalance {
  BalancePolicy policy = BalancePolicy::kLeastRequest;
  HashSource hash_on = HashSource::kNone;
  std::string hash_name;  // the header, cookie or path parameter named by hash_on
  // Peak-EWMA's decay: how long a latency sample takes to fade to 1/e (Finagle: 10 s).
  std::chrono::milliseconds ewma_decay{10000};
  // A host back from ejection or from the active check's "down" takes this long to reach its full
  // weight (Envoy's slow_start_window). 0: at once.
  std::chrono::milliseconds slow_start{0};

  bool operator==(const UpstreamBalance&) const = default;
};

/// Passive health (Envoy's outlier detection): hosts that fail in a row leave the rotation for a
/// while, longer each time. On by default.
struct UpstreamOutlierDetection {
  bool enabled = true;
  std::uint32_t consecutive_5xx = 5;              // 5xx answers in a row (0: not counted)
  std::uint32_t consecutive_gateway_failures = 5; // connect failures, resets, timeouts in a row (0: off)
  std::chrono::milliseconds base_ejection{30000}; // the first ejection; the n-th lasts n times this
  std::chrono::milliseconds max_ejection{300000}; // the cap of that growth
  // A host whose failures (5xx, gateway failures) reach this share of its requests over one
  // interval is ejected, once it had failure_percent_min_requests of them (Envoy's
  // failure_percentage). Judged per worker, on the requests that worker sent. 0: off.
  std::uint32_t failure_percent = 0;
  std::uint32_t failure_percent_min_requests = 50;
  std::chrono::milliseconds interval{10000};
  std::uint32_t max_ejection_percent = 50;        // at most this share of the hosts out (at least one)
  // Fewer hosts than this share usable: every host is used, ejected or not (Envoy's panic mode),
  // rather than piling the load on the few left.
  std::uint32_t panic_threshold_percent = 50;

  bool operator==(const UpstreamOutlierDetection&) const = default;
};

/// Active health: each host asked on an interval, off the workers. Off unless configured.
struct UpstreamHealthCheck {
  bool enabled = false;
  bool tcp = false;                       // a TCP connect only, instead of an HTTP GET of path
  std::string path = "/healthz";
  std::string host;                       // the Host field sent ("" : the server's address)
  std::chrono::milliseconds interval{5000};
  std::chrono::milliseconds jitter{500};  // each interval is lengthened by up to this, at random
  std::chrono::milliseconds timeout{1000};
  std::uint32_t healthy_threshold = 2;    // successes in a row that bring a down host back
  std::uint32_t unhealthy_threshold = 3;  // failures in a row that take a host down
  std::vector<StatusRange> expected_statuses{StatusRange{200, 399}};

  bool operator==(const UpstreamHealthCheck&) const = default;
};

/// When a request goes to another host, and how many it may try.
struct UpstreamRetry {
  bool on_connect_failure = true;  // refused, unreachable, connect timed out
  bool on_reset = true;            // closed or reset before the response's first byte
  bool on_timeout = true;          // no response head within timeouts.read (or per_try_timeout)
  std::vector<int> statuses;       // answers that are tried again elsewhere (e.g. 502, 503, 504)
  std::uint32_t tries = 4;         // hosts one request may try, the first included (1: no retry)
  bool non_idempotent = false;     // also replay POST and PATCH (when their body is still held)
  // Longest wait for one try's response head, from the request's last byte (0: timeouts.read).
  // Past it the try counts as a timeout, and the request may go to another host.
  std::chrono::milliseconds per_try_timeout{0};
  // Wait before the n-th retry: a random eighth (1..8) of min(base x 2^(n-1), max) (Envoy's
  // jittered exponential backoff). 0: at once, to the next host, as nginx does. Both waits are
  // checked on the worker's tick (10..250 ms), so shorter ones are that coarse.
  std::chrono::milliseconds backoff_base{0};
  std::chrono::milliseconds backoff_max{1000};
  // Envoy's retry budget: retries in flight stay within this share of the requests in flight, or
  // budget_min when that is more.
  std::uint32_t budget_percent = 20;
  std::uint32_t budget_min = 3;

  bool operator==(const UpstreamRetry&) const = default;
};

/// Caps per upstream, across the workers: over them a request gets 503 with Retry-After at once.
struct UpstreamLimits {
  std::uint32_t max_requests = 0;  // requests in flight (0: no cap)
  std::uint32_t max_pending = 0;   // requests waiting for a new connection to connect (0: no cap)

  bool operator==(const UpstreamLimits&) const = default;
};

struct UpstreamConfig {
  std::string name;  // the key in "upstreams"; routes name it
  std::vector<UpstreamServerConfig> servers;
  UpstreamTimeouts timeouts;
  UpstreamKeepalive keepalive;
  UpstreamTunnels tunnels;
  UpstreamBalance balance;
  UpstreamOutlierDetection outlier_detection;
  UpstreamHealthCheck health_check;
  UpstreamRetry retry;
  UpstreamLimits limits;
  std::string breaker;  // a name from "breakers": each host gets its own breaker of that config
  // How often names are resolved again, off the workers (a Kubernetes headless service changes
  // its addresses). 0: only at start and reload.
  std::chrono::milliseconds resolve_every{30000};

  bool operator==(const UpstreamConfig&) const = default;
};

/// Throws std::invalid_argument naming the field when a value is out of range or an address is
/// not "host:port".
void validate(const UpstreamConfig& config);

/// "host:port" split; false when it is not one (the port 1..65535, the host non-empty; "[v6]").
bool split_host_port(const std::string& address, std::string& host, std::uint16_t& port);

}  // namespace surge::detail
