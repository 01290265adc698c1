#include "upstream/cluster.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <stdexcept>

namespace surge::detail {
namespace {

std::string text_of(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
  inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
  port = ntohs(v6->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace

std::vector<HostAddress> resolve(const std::string& name, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  std::vector<HostAddress> out;
  if (getaddrinfo(name.c_str(), service.c_str(), &hints, &found) != 0) return out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    HostAddress address;
    std::memcpy(&address.storage, a->ai_addr, a->ai_addrlen);
    address.length = a->ai_addrlen;
    address.text = text_of(a->ai_addr);
    out.push_back(std::move(address));
  }
  freeaddrinfo(found);
  return out;
}

Cluster::Cluster(UpstreamConfig config, const HostBreakerConfig* breaker) : config_(std::move(config)) {
  validate(config_);
  for (const UpstreamServerConfig& server : config_.servers) {
    std::string name;
    std::uint16_t port = 0;
    split_host_port(server.address, name, port);
    auto host = std::make_unique<UpstreamHost>(server.address, name, port, server.weight);
    std::vector<HostAddress> addresses = resolve(name, port);
    if (addresses.empty()) {
      throw std::invalid_argument("upstream \"" + config_.name + "\": cannot resolve " + server.address);
    }
    host->set_addresses(std::make_shared<const std::vector<HostAddress>>(std::move(addresses)));
    if (breaker != nullptr) host->health().set_breaker(*breaker);
    hosts_.push_back(std::move(host));
  }
  std::vector<BalanceHost> table_hosts;
  for (const UpstreamServerConfig& server : config_.servers) table_hosts.push_back({server.address, server.weight});
  tables_ = std::make_unique<BalanceTables>(table_hosts, config_.balance.policy);
}

bool Cluster::resolve_again() {
  bool all = true;
  for (auto& host : hosts_) {
    std::vector<HostAddress> addresses = resolve(host->name(), host->port());
    if (addresses.empty()) {
      all = false;  // a resolver hiccup must not empty a host: keep what it had
      continue;
    }
    host->set_addresses(std::make_shared<const std::vector<HostAddress>>(std::move(addresses)));
  }
  return all;
}

}  // namespace surge::detail
