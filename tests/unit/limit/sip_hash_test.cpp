#include "limit/sip_hash.hpp"

#include <string>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

// Reference key 00 01 .. 0f and messages 00 01 .. (n-1), as in the reference vectors.h.
constexpr SipKey kReferenceKey{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::string message(std::size_t n) {
  std::string m(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    m[i] = static_cast<char>(i);
  return m;
}

// Output bytes as printed in vectors.h ("310e0edd47db6f72") to a little-endian word.
std::uint64_t le64(const char* hex) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = v << 8 | std::stoull(std::string(hex + 2 * i, 2), nullptr, 16);
  return v;
}

TEST(LimitKeySipHash, MatchesReferenceVectors64) {
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(0)), le64("310e0edd47db6f72"));
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(1)), le64("fd67dc93c539f874"));
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(7)), le64("37d1018bf50002ab"));
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(8)), le64("6224939a79f5f593"));
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(15)), 0xa129ca6149be45e5ULL);  // the paper's example
  EXPECT_EQ(sip_hash_24(kReferenceKey, message(63)), le64("724506eb4c328a95"));
}

TEST(LimitKeySipHash, MatchesReferenceVectors128) {
  auto expect = [](std::size_t n, const char* hex) {
    const Hash128 h = sip_hash_24_128(kReferenceKey, message(n));
    EXPECT_EQ(h.lo, le64(hex)) << n;
    EXPECT_EQ(h.hi, le64(hex + 16)) << n;
  };
  expect(0, "a3817f04ba25a8e66df67214c7550293");
  expect(1, "da87c1d86b99af44347659119b22fc45");
  expect(8, "3b62a9ba6258f5610f83e264f31497b4");
  expect(15, "5493e99933b0a8117e08ec0f97cfc3d9");
  expect(16, "6ee2a4ca67b054bbfd3315bf85230577");
  expect(63, "5150d1772f50834a503e069a973fbd7c");
}

TEST(LimitKeySipHash, SipHash13MatchesItsPublishedVector) {
  // Key e7ab5e259fe55d624340e495e65a5bf8, empty message (Wycheproof siphash_1_3 tcId 1).
  const SipKey key{0x625de59f255eabe7ULL, 0xf85b5ae695e44043ULL};
  EXPECT_EQ(sip_hash_13(key, ""), le64("4e2113cd24d3fa47"));
  EXPECT_EQ(sip_hash_24(key, ""), le64("885d34ee080998a8"));
}

}  // namespace
}  // namespace surge::detail
