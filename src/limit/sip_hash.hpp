#pragma once
// SipHash: keyed hashes for limit keys, so clients cannot choose colliding keys.

#include <cstdint>
#include <string_view>

namespace surge::detail {

/// A 128-bit SipHash key. k0 holds key bytes 0..7 and k1 bytes 8..15, little-endian, as in the
/// reference implementation. Fill it from a random source once per process at start-up: its
/// secrecy is what keeps a client from precomputing colliding inputs.
struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;
};

/// A 128-bit digest: `lo` is output bytes 0..7 and `hi` bytes 8..15, little-endian.
struct Hash128 {
  std::uint64_t lo = 0;
  std::uint64_t hi = 0;
  bool operator==(const Hash128&) const = default;
};

/// SipHash-2-4 (Aumasson and Bernstein, 2012), the recommended strength: for string keys.
std::uint64_t sip_hash_24(const SipKey& key, std::string_view data);
/// SipHash-2-4 with 128-bit output: for string keys, where a collision merges two clients.
Hash128 sip_hash_24_128(const SipKey& key, std::string_view data);
/// SipHash-1-3 (Rust's HashMap hash): for hash-table indexes, where a collision costs a probe.
std::uint64_t sip_hash_13(const SipKey& key, std::string_view data);

}  // namespace surge::detail
