#pragma once
// Cluster: one configured upstream, shared by the workers: its servers and their addresses.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "upstream/balancer.hpp"
#include "upstream/host_health.hpp"
#include "upstream/upstream_config.hpp"

namespace surge::detail {

/// One resolved address of a host.
struct HostAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  std::string text;  // "10.0.0.7:9001", for logs and the access log
};

/// One server of a cluster: its configured address, weight and the addresses its name resolves
/// to. The addresses are replaced as a whole by a re-resolution (off the workers); a worker reads
/// them once per new connection.
class UpstreamHost final {
 public:
  UpstreamHost(std::string address, std::string name, std::uint16_t port, std::uint32_t weight)
      : address_(std::move(address)), name_(std::move(name)), port_(port), weight_(weight) {}

  const std::string& address() const { return address_; }  // as configured: "app-2.internal:9001"
  const std::string& name() const { return name_; }
  std::uint16_t port() const { return port_; }
  std::uint32_t weight() const { return weight_; }
  /// Shared by the workers and the health checker (atomics inside): writable through a const
  /// Cluster, as the addresses are.
  HostHealth& health() const { return *health_; }
  /// The same, for whoever must keep it beyond the cluster (the exporter's view of a worker's pool).
  const std::shared_ptr<HostHealth>& shared_health() const { return health_; }

  /// The addresses now (possibly empty: the name does not resolve at the moment).
  std::shared_ptr<const std::vector<HostAddress>> addresses() const { return addresses_.load(); }
  void set_addresses(std::shared_ptr<const std::vector<HostAddress>> addresses) {
    addresses_.store(std::move(addresses));
  }

 private:
  std::string address_;
  std::string name_;
  std::uint16_t port_;
  std::uint32_t weight_;
  std::shared_ptr<HostHealth> health_ = std::make_shared<HostHealth>();
  std::atomic<std::shared_ptr<const std::vector<HostAddress>>> addresses_{
      std::make_shared<const std::vector<HostAddress>>()};
};

/// An upstream as the proxy routes see it. Built on the main thread at start and reload (names
/// resolved then, blocking there, never on a worker), immutable afterwards except for the
/// hosts' addresses. Shared (shared_ptr) by the routes that name it and by the workers' pools,
/// which keep it alive while their connections drain after a reload.
class Cluster final {
 public:
  /// Resolves every server's name. Throws std::invalid_argument when a name resolves to nothing
  /// (as nginx refuses to start with an unknown upstream host). `breaker`: each host's own breaker
  /// (the upstream's "breaker"), or null.
  explicit Cluster(UpstreamConfig config, const HostBreakerConfig* breaker = nullptr);

  const UpstreamConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  std::vector<std::unique_ptr<UpstreamHost>>& hosts() { return hosts_; }
  const std::vector<std::unique_ptr<UpstreamHost>>& hosts() const { return hosts_; }
  /// What the balancing policies walk (the round-robin cycle, the ring or Maglev table).
  const BalanceTables& tables() const { return *tables_; }

  /// Requests in flight and waiting for a connection, every worker together: counted only when
  /// the upstream's "limits" cap them (a shared write per request otherwise saved).
  std::atomic<std::uint32_t>& in_flight() const { return load_.in_flight; }
  std::atomic<std::uint32_t>& pending() const { return load_.pending; }

  /// Resolves the names again; false when some name resolved to nothing (its old addresses stay).
  bool resolve_again();

 private:
  UpstreamConfig config_;
  std::vector<std::unique_ptr<UpstreamHost>> hosts_;
  std::unique_ptr<BalanceTables> tables_;
  struct alignas(64) Load {
    std::atomic<std::uint32_t> in_flight{0};
    std::atomic<std::uint32_t> pending{0};
  };
  mutable Load load_;
};

/// What the routes naming a cluster hold. While one exists the cluster is in use; the workers'
/// pools hold the Cluster itself (their connections drain after a reload) and watch this
/// through a weak_ptr to know when it is retired.
struct ClusterHandle {
  std::shared_ptr<const Cluster> cluster;
};

/// The addresses of name:port (numeric or resolved with getaddrinfo, TCP). Blocking.
std::vector<HostAddress> resolve(const std::string& name, std::uint16_t port);

}  // namespace surge::detail
