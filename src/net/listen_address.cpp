#include "net/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace surge::detail {

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  ListenAddress address;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = "expected \"[ipv6]:port\"";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    address.v6 = true;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      error = "expected \"ip:port\"";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  address.ip = std::string(host);
  unsigned char probe[16];
  if (inet_pton(address.v6 ? AF_INET6 : AF_INET, address.ip.c_str(), probe) != 1) {
    error = address.v6 ? "not an IPv6 address" : "not an IPv4 address (IPv6 goes in brackets)";
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    error = "port must be a number from 0 to 65535";
    return std::nullopt;
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

}  // namespace surge::detail
