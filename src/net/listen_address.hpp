#pragma once
// ListenAddress: "host:port" strings of the listen setting, checked without touching the network.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace surge::detail {

struct ListenAddress {
  std::string ip;  // an IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 0;
  bool v6 = false;
};

/// Parses "0.0.0.0:8080", "127.0.0.1:0", "[::]:8080" or "[::1]:9000". Host names are not
/// accepted: a listener binds to an address. On failure returns nullopt and says why in error.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

}  // namespace surge::detail
