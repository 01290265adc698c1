#include "limit/limit_key.hpp"

#include <algorithm>
#include <cstring>

namespace surge::detail {

LimitKey LimitKey::from_address(const PeerAddress& peer, unsigned v6_prefix_bits) {
  LimitKey key;
  key.bytes = peer.bytes;
  if (peer.is_v4 || v6_prefix_bits >= 128) return key;
  const unsigned full = v6_prefix_bits / 8;
  if (const unsigned rest = v6_prefix_bits % 8; rest != 0) {
    key.bytes[full] &= static_cast<std::uint8_t>(0xff00u >> rest);
    std::fill(key.bytes.begin() + full + 1, key.bytes.end(), 0);
  } else {
    std::fill(key.bytes.begin() + full, key.bytes.end(), 0);
  }
  return key;
}

LimitKey LimitKey::from_string(std::string_view value, const SipKey& secret) {
  const Hash128 h = sip_hash_24_128(secret, value);
  LimitKey key;
  std::memcpy(key.bytes.data(), &h.lo, 8);
  std::memcpy(key.bytes.data() + 8, &h.hi, 8);
  return key;
}

}  // namespace surge::detail
