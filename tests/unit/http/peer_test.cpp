#include "http/peer_text.hpp"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <string>

namespace surge::detail {
namespace {

PeerAddress v4(const char* text) {
  PeerAddress peer;
  peer.is_v4 = true;
  peer.bytes[10] = 0xff;
  peer.bytes[11] = 0xff;
  ::inet_pton(AF_INET, text, peer.bytes.data() + 12);
  return peer;
}

TEST(PeerText, Ipv4IsFormattedAsInetNtopWould) {
  // Every octet width at every position, and the extremes.
  for (const char* text : {"0.0.0.0", "255.255.255.255", "127.0.0.1", "10.20.30.40", "1.22.255.3",
                           "100.9.99.200", "192.0.2.1", "9.10.99.100"}) {
    char out[INET6_ADDRSTRLEN];
    EXPECT_EQ(peer_ip_text(v4(text), out), text);
  }
  for (unsigned octet = 0; octet < 256; ++octet) {
    const std::string text = "1.2." + std::to_string(octet) + "." + std::to_string(255 - octet);
    char out[INET6_ADDRSTRLEN];
    EXPECT_EQ(peer_ip_text(v4(text.c_str()), out), text);
  }
}

TEST(PeerText, Ipv6GoesThroughInetNtop) {
  PeerAddress peer;
  ::inet_pton(AF_INET6, "2001:db8::1", peer.bytes.data());
  char out[INET6_ADDRSTRLEN];
  EXPECT_EQ(peer_ip_text(peer, out), "2001:db8::1");
  EXPECT_EQ(peer.ip_string(), "2001:db8::1");
  EXPECT_EQ(v4("192.0.2.7").ip_string(), "192.0.2.7");
}

}  // namespace
}  // namespace surge::detail
