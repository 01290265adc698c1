#include "limit/sip_hash.hpp"

#include <bit>
#include <cstring>

namespace surge::detail {
namespace {

static_assert(std::endian::native == std::endian::little, "SipHash reads words little-endian");

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }
};

// The reference siphash.c, for C compression and D finalization rounds; `wide` selects the
// 128-bit variant (different initialization, a second finalization).
template <int C, int D>
Hash128 sip_hash(const SipKey& key, std::string_view data, bool wide) {
  SipState s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
             key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  if (wide) s.v1 ^= 0xee;
  const char* p = data.data();
  const std::size_t full = data.size() / 8 * 8;
  auto compress = [&s](std::uint64_t m) {
    s.v3 ^= m;
    for (int i = 0; i < C; ++i)
      s.round();
    s.v0 ^= m;
  };
  for (std::size_t i = 0; i < full; i += 8) {
    std::uint64_t m;
    std::memcpy(&m, p + i, 8);
    compress(m);
  }
  std::uint64_t last = static_cast<std::uint64_t>(data.size()) << 56;
  for (std::size_t i = full; i < data.size(); ++i) {
    last |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * (i - full));
  }
  compress(last);

  s.v2 ^= wide ? 0xee : 0xff;
  for (int i = 0; i < D; ++i)
    s.round();
  Hash128 out;
  out.lo = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  if (!wide) return out;
  s.v1 ^= 0xdd;
  for (int i = 0; i < D; ++i)
    s.round();
  out.hi = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  return out;
}

}  // namespace

std::uint64_t sip_hash_24(const SipKey& key, std::string_view data) {
  return sip_hash<2, 4>(key, data, false).lo;
}

Hash128 sip_hash_24_128(const SipKey& key, std::string_view data) {
  return sip_hash<2, 4>(key, data, true);
}

std::uint64_t sip_hash_13(const SipKey& key, std::string_view data) {
  return sip_hash<1, 3>(key, data, false).lo;
}

}  // namespace surge::detail
