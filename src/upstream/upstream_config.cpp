#include "upstream/upstream_config.hpp"

#include <charconv>
#include <stdexcept>

namespace surge::detail {

bool split_host_port(const std::string& address, std::string& host, std::uint16_t& port) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  host = address.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 address must be bracketed
  }
  unsigned value = 0;
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

void validate(const UpstreamConfig& c) {
  const std::string subject = "upstream \"" + c.name + "\": ";
  if (c.servers.empty()) throw std::invalid_argument(subject + "servers: at least one server is required");
  for (std::size_t i = 0; i < c.servers.size(); ++i) {
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(c.servers[i].address, host, port)) {
      throw std::invalid_argument(subject + "servers/" + std::to_string(i) +
                                  "/address: expected \"host:port\" (an IPv6 address in brackets)");
    }
    if (c.servers[i].weight < 1 || c.servers[i].weight > 1000) {
      throw std::invalid_argument(subject + "servers/" + std::to_string(i) + "/weight: expected 1 to 1000");
    }
  }
  using std::chrono::milliseconds;
  for (auto [value, key] : {std::pair{c.timeouts.connect, "timeouts/connect_ms"},
                            std::pair{c.timeouts.read, "timeouts/read_ms"},
                            std::pair{c.timeouts.send, "timeouts/send_ms"},
                            std::pair{c.keepalive.idle_timeout, "keepalive/idle_timeout_ms"},
                            std::pair{c.tunnels.idle_timeout, "tunnels/idle_timeout_ms"}}) {
    if (value < milliseconds(1) || value > milliseconds(86400000)) {
      throw std::invalid_argument(subject + key + ": expected 1 to 86400000");
    }
  }
}

}  // namespace surge::detail
