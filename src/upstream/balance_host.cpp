#include "upstream/balance_host.hpp"

namespace surge::detail {

std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::uint64_t hash_key(std::string_view key) {
  // FNV-1a alone leaves short keys ("10.0.0.7", "user-42") clustered in the low bits and the
  // ring and the Maglev table need every bit; the finaliser fixes that at no cost to stability.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h);
}

}  // namespace surge::detail
