#pragma once
// PeerAddress: a client's IP address and port in binary form.

#include <array>
#include <cstdint>
#include <string>

namespace surge {

/// An IPv4 or IPv6 address (IPv4 stored as IPv4-mapped IPv6, so one key type serves both) and
/// a port. Cheap to copy and compare; to_string() allocates.
struct PeerAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::uint16_t port = 0;
  bool is_v4 = false;

  bool operator==(const PeerAddress&) const = default;
  /// "192.0.2.1" or "2001:db8::1" (no port).
  std::string ip_string() const;
};

}  // namespace surge
