#include "metrics/exporter.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <prometheus/exposer.h>

#include "metrics/prometheus_collector.hpp"

namespace surge::detail {
namespace {

// CivetWeb reports a listener it could not open as "null context when constructing
// CivetServer", without the reason. The reason is found again by binding the same address the
// way CivetWeb does (SO_REUSEADDR; an IPv6 address alone). Start-up only, after a failure.
std::error_code bind_error(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {};
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) return {};
  std::error_code error;
  const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error.assign(errno, std::system_category());
  } else {
    const int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (found->ai_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (::bind(fd, found->ai_addr, found->ai_addrlen) != 0 || ::listen(fd, 1) != 0) {
      error.assign(errno, std::system_category());
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return error;
}

}  // namespace

Exporter::Exporter(const std::string& address, const std::string& path,
                   std::shared_ptr<PrometheusCollector> collector)
    : collector_(std::move(collector)) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    const std::string what = "cannot serve metrics on " + address;
    if (const std::error_code error = bind_error(address)) throw std::system_error(error, what);
    // Free again by now (or not a socket error): CivetWeb's own words are all there is.
    throw std::runtime_error(what + ": " + e.what());
  }
  exposer_->RegisterCollectable(collector_, path);
}

Exporter::~Exporter() = default;

std::uint16_t Exporter::port() const {
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : static_cast<std::uint16_t>(ports.front());
}

}  // namespace surge::detail
