#pragma once
// LimitKey: the fixed-size key of a rate-limit table (a client address or a hashed string).

#include <array>
#include <cstdint>
#include <string_view>

#include <surge/peer.hpp>

#include "limit/sip_hash.hpp"

namespace surge::detail {

/// 16 bytes, compared by value; building one never allocates. A table holds one kind of key
/// (each limit keys by one thing), so an address key and a string key never meet.
///
/// Collisions. Address keys are the address itself: none. String keys are SipHash-2-4-128 of the
/// string under a per-process secret: two distinct strings share a bucket with probability about
/// k^2 / 2^129 for k live strings (10^9 keys: 1.5e-21), and a client that does not know the secret
/// cannot search for a string colliding with someone else's. A collision would merge two clients'
/// buckets, nothing worse, so the table does not keep the original string.
struct LimitKey {
  std::array<std::uint8_t, 16> bytes{};

  bool operator==(const LimitKey&) const = default;

  /// The client address (port ignored; IPv4 is IPv4-mapped IPv6, as in PeerAddress). For IPv6,
  /// only the first `v6_prefix_bits` bits are kept (0..128, default 128: the whole address): one
  /// IPv6 client usually holds a whole /64, so per-address limits are keyed on /64 to be
  /// meaningful. IPv4 addresses are always kept whole.
  static LimitKey from_address(const PeerAddress& peer, unsigned v6_prefix_bits = 128);
  /// A string such as an API key header or a route name, hashed under `secret`.
  static LimitKey from_string(std::string_view value, const SipKey& secret);
};

}  // namespace surge::detail
