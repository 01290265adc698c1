#pragma once
// BalanceHost and hash_key: a host as the balancing tables see it, and the hash they share.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace surge::detail {

/// What a pick returns when no host may take the request.
inline constexpr std::size_t kNoHost = ~std::size_t{0};

/// A 64-bit hash of a key, stable across processes, runs and machines (two surged instances behind
/// one load balancer must send a key to the same host): FNV-1a 64 finished with Murmur3's fmix64.
/// Unkeyed on purpose, so a client that can choose its keys can also choose their host: hash what
/// the client does not control when that matters.
std::uint64_t hash_key(std::string_view key);

/// Murmur3's 64-bit finaliser: a bijection that spreads every input bit over every output bit.
std::uint64_t mix64(std::uint64_t x);

/// The next word of splitmix64 (Steele et al., 2014) from `state`: each worker's cheap, seedable
/// random sequence (the balancer's draws, a retry's backoff jitter).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// One host as the tables see it: its identity (the configured "host:port", so a host keeps its
/// place when others are added or removed) and its weight (1..1000).
struct BalanceHost {
  std::string address;
  std::uint32_t weight = 1;
};

}  // namespace surge::detail
