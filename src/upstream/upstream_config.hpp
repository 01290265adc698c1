#pragma once
// UpstreamConfig: one entry of the configuration's "upstreams" section (README "Proxy").

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

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

struct UpstreamConfig {
  std::string name;  // the key in "upstreams"; routes name it
  std::vector<UpstreamServerConfig> servers;
  UpstreamTimeouts timeouts;
  UpstreamKeepalive keepalive;
  UpstreamTunnels tunnels;
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
