#include "limit/limit_key.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

PeerAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
               std::uint16_t port = 1234) {
  PeerAddress p;
  p.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
  p.port = port;
  p.is_v4 = true;
  return p;
}

PeerAddress v6(std::array<std::uint8_t, 16> bytes) {
  PeerAddress p;
  p.bytes = bytes;
  return p;
}

TEST(LimitKey, AddressKeyIsTheAddressWithoutThePort) {
  const LimitKey key = LimitKey::from_address(v4(192, 0, 2, 1, 1000));
  EXPECT_EQ(key.bytes, v4(192, 0, 2, 1).bytes);
  EXPECT_EQ(key, LimitKey::from_address(v4(192, 0, 2, 1, 2000)));
  EXPECT_NE(key, LimitKey::from_address(v4(192, 0, 2, 2)));
}

TEST(LimitKey, Ipv6PrefixMasksTheInterfaceId) {
  const auto a = v6({0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9});
  const auto b = v6({0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 7, 7, 7, 7, 7, 7, 7, 7});
  EXPECT_NE(LimitKey::from_address(a), LimitKey::from_address(b));
  EXPECT_EQ(LimitKey::from_address(a, 64), LimitKey::from_address(b, 64));
  EXPECT_EQ(LimitKey::from_address(a, 64).bytes,
            (std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4}));
  // A prefix that ends inside a byte keeps that byte's high bits: /60 keeps 0x04 & 0xf0.
  EXPECT_EQ(LimitKey::from_address(a, 60).bytes[7], 0x00);
  EXPECT_EQ(LimitKey::from_address(a, 60).bytes[6], 3);
  EXPECT_EQ(LimitKey::from_address(a, 0), LimitKey{});
}

TEST(LimitKey, Ipv4IgnoresTheIpv6Prefix) {
  EXPECT_EQ(LimitKey::from_address(v4(10, 0, 0, 1), 64).bytes, v4(10, 0, 0, 1).bytes);
}

TEST(LimitKey, StringKeyDependsOnTheStringAndTheSecret) {
  const SipKey secret{1, 2};
  const LimitKey a = LimitKey::from_string("api-key-1", secret);
  EXPECT_EQ(a, LimitKey::from_string("api-key-1", secret));
  EXPECT_NE(a, LimitKey::from_string("api-key-2", secret));
  EXPECT_NE(a, LimitKey::from_string("api-key-1", SipKey{1, 3}));
  EXPECT_NE(LimitKey::from_string("", secret), LimitKey{});
}

}  // namespace
}  // namespace surge::detail
