#include "limit/client_address.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

PeerAddress ip(std::string_view text) {
  const std::optional<PeerAddress> address = parse_ip_literal(text);
  EXPECT_TRUE(address) << text;
  return address.value_or(PeerAddress{});
}

std::string text_of(const PeerAddress& address) {
  char buffer[64];
  if (address.is_v4) {
    std::snprintf(buffer, sizeof(buffer), "%u.%u.%u.%u", address.bytes[12], address.bytes[13],
                  address.bytes[14], address.bytes[15]);
    return buffer;
  }
  std::string out;
  for (std::size_t i = 0; i < 16; i += 2) {
    std::snprintf(buffer, sizeof(buffer), "%s%x", i == 0 ? "" : ":",
                  address.bytes[i] << 8 | address.bytes[i + 1]);
    out += buffer;
  }
  return out;
}

// A request as the resolver reads it: a peer and header lines in order.
struct FakeRequest {
  struct Field {
    std::string_view name;
    std::string_view value;
  };
  PeerAddress peer_address;
  std::vector<std::pair<std::string, std::string>> fields;

  const PeerAddress& peer() const { return peer_address; }
  std::size_t header_count() const { return fields.size(); }
  Field header_at(std::size_t i) const { return {fields[i].first, fields[i].second}; }
};

ClientAddressConfig config(std::vector<std::string> cidrs, bool use_forwarded = false) {
  return {TrustedProxies(cidrs), use_forwarded};
}

std::string resolve(const ClientAddressConfig& c, std::string_view peer,
                    std::vector<std::pair<std::string, std::string>> fields) {
  return text_of(ClientAddressResolver(c).resolve(FakeRequest{ip(peer), std::move(fields)}));
}

const ClientAddressConfig kBehindTenSlashEight = config({"10.0.0.0/8"});

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItsHeadersSay) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "203.0.113.7", {{"X-Forwarded-For", "198.51.100.1"}}),
            "203.0.113.7");
  EXPECT_EQ(resolve(config({}), "10.0.0.1", {{"X-Forwarded-For", "198.51.100.1"}}), "10.0.0.1");
}

TEST(ClientAddress, ATrustedPeerNamesTheClient) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "198.51.100.1"}}),
            "198.51.100.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"x-forwarded-for", " 198.51.100.1 "}}),
            "198.51.100.1");
}

TEST(ClientAddress, WithoutForwardingHeadersTheTrustedPeerIsTheClient) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"Host", "x"}}), "10.0.0.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", " , "}}), "10.0.0.1");
}

TEST(ClientAddress, TrustedHopsAreSkippedFromTheRight) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1",
                    {{"X-Forwarded-For", "198.51.100.1, 10.0.0.3, 10.0.0.2"}}),
            "198.51.100.1");
}

TEST(ClientAddress, WhatTheClientPrependsIsNotBelieved) {
  // The client sent "X-Forwarded-For: 1.2.3.4"; the balancer appended the address it saw.
  EXPECT_EQ(
      resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "1.2.3.4, 198.51.100.1"}}),
      "198.51.100.1");
  // Even a claimed trusted address left of the real client changes nothing.
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1",
                    {{"X-Forwarded-For", "10.9.9.9, 198.51.100.1, 10.0.0.2"}}),
            "198.51.100.1");
}

TEST(ClientAddress, EveryLineIsReadInOrder) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1",
                    {{"X-Forwarded-For", "1.2.3.4"},
                     {"Accept", "*/*"},
                     {"X-Forwarded-For", "198.51.100.1, 10.0.0.2"}}),
            "198.51.100.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1",
                    {{"X-Forwarded-For", "198.51.100.9"}, {"X-Forwarded-For", "10.0.0.2"}}),
            "198.51.100.9");
}

TEST(ClientAddress, WhenEveryHopIsTrustedTheLeftmostIsTheClient) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "10.0.0.3, 10.0.0.2"}}),
            "10.0.0.3");
}

TEST(ClientAddress, AMalformedHopStopsTheWalkAtTheLastValidOne) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1",
                    {{"X-Forwarded-For", "198.51.100.1, garbage, 10.0.0.2"}}),
            "10.0.0.2");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "198.51.100.1, bogus"}}),
            "10.0.0.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "256.1.1.1"}}),
            "10.0.0.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "1.2.3.4:99999999"}}),
            "10.0.0.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "fe80::1%eth0"}}),
            "10.0.0.1");
  // Garbage left of the client is never reached.
  EXPECT_EQ(
      resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "\"<script>, 198.51.100.1"}}),
      "198.51.100.1");
}

TEST(ClientAddress, HopsMayCarryPortsAndIpv6) {
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "198.51.100.1:5555"}}),
            "198.51.100.1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "2001:db8::1"}}),
            "2001:db8:0:0:0:0:0:1");
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"X-Forwarded-For", "[2001:db8::1]:443"}}),
            "2001:db8:0:0:0:0:0:1");
  // An IPv4-mapped hop is an IPv4 client (so per-/64 keys never merge IPv4 clients).
  const PeerAddress mapped =
      ClientAddressResolver(kBehindTenSlashEight)
          .resolve(FakeRequest{ip("10.0.0.1"), {{"X-Forwarded-For", "::ffff:198.51.100.1"}}});
  EXPECT_TRUE(mapped.is_v4);
  EXPECT_EQ(text_of(mapped), "198.51.100.1");
}

TEST(ClientAddress, AnIpv4PeerOfADualStackSocketIsAnIpv4Client) {
  PeerAddress mapped = ip("::ffff:198.51.100.1");
  mapped.is_v4 = false;  // as a dual-stack socket reports it
  const PeerAddress client =
      ClientAddressResolver(kBehindTenSlashEight).resolve(FakeRequest{mapped, {}});
  EXPECT_TRUE(client.is_v4);
  EXPECT_EQ(text_of(client), "198.51.100.1");
}

TEST(ClientAddress, Ipv6ProxiesAreTrustedByTheirNetworks) {
  const ClientAddressConfig c = config({"::1/128", "2001:db8:aa::/48"});
  EXPECT_EQ(resolve(c, "::1", {{"X-Forwarded-For", "198.51.100.1, 2001:db8:aa:1::5"}}),
            "198.51.100.1");
  EXPECT_EQ(resolve(c, "2001:db8:ab::1", {{"X-Forwarded-For", "198.51.100.1"}}),
            "2001:db8:ab:0:0:0:0:1");
}

TEST(ClientAddress, ForwardedIsReadWhenConfiguredAndNoXForwardedForCame) {
  const ClientAddressConfig c = config({"10.0.0.0/8"}, true);
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=198.51.100.1;proto=http;by=10.0.0.1"}}),
            "198.51.100.1");
  EXPECT_EQ(
      resolve(c, "10.0.0.1", {{"Forwarded", "for=192.0.2.43, For=\"[2001:db8:cafe::17]:4711\""}}),
      "2001:db8:cafe:0:0:0:0:17");
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=\"198.51.100.1:80\", for=10.0.0.2"}}),
            "198.51.100.1");
  // X-Forwarded-For wins when both came.
  EXPECT_EQ(resolve(c, "10.0.0.1",
                    {{"Forwarded", "for=198.51.100.1"}, {"X-Forwarded-For", "198.51.100.2"}}),
            "198.51.100.2");
  // Not configured: ignored.
  EXPECT_EQ(resolve(kBehindTenSlashEight, "10.0.0.1", {{"Forwarded", "for=198.51.100.1"}}),
            "10.0.0.1");
}

TEST(ClientAddress, UnknownOrObfuscatedForwardedHopsStopTheWalk) {
  const ClientAddressConfig c = config({"10.0.0.0/8"}, true);
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=198.51.100.1, for=unknown, for=10.0.0.2"}}),
            "10.0.0.2");
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=_hidden"}}), "10.0.0.1");
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=\"_hidden:_port\""}}), "10.0.0.1");
}

TEST(ClientAddress, MalformedForwardedElementsStopTheWalk) {
  const ClientAddressConfig c = config({"10.0.0.0/8"}, true);
  for (const char* value : {"for=2001:db8::1",          // IPv6 must be quoted
                            "for=\"[2001:db8::1]",      // unterminated quote
                            "for=1.2.3.4;for=5.6.7.8",  // twice in one element
                            "proto=https",              // no for=
                            "for",                      // no value
                            "for=\"1.2.3.4\\\"\""}) {   // an escape
    EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", value}}), "10.0.0.1") << value;
  }
  // The proxy's own element, right of the client's garbage, still counts.
  EXPECT_EQ(resolve(c, "10.0.0.1", {{"Forwarded", "for=\"oops, for=198.51.100.1"}}),
            "198.51.100.1");
}

TEST(ClientAddress, ResolvingDoesNotAllocate) {
  const ClientAddressResolver resolver(config({"10.0.0.0/8", "::1/128"}, true));
  const FakeRequest request{ip("10.0.0.1"),
                            {{"X-Forwarded-For", "1.2.3.4, [2001:db8::1]:80, 10.0.0.2"},
                             {"Forwarded", "for=\"[2001:db8::2]\""}}};
  const std::uint64_t before = test::allocation_count();
  const PeerAddress client = resolver.resolve(request);
  EXPECT_EQ(test::allocation_count(), before);
  EXPECT_EQ(text_of(client), "2001:db8:0:0:0:0:0:1");
}

TEST(TrustedProxies, MatchesNetworksOfBothFamilies) {
  const TrustedProxies proxies(
      {"10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::ffff:172.16.0.0/108"});
  EXPECT_TRUE(proxies.contains(ip("10.255.0.1")));
  EXPECT_FALSE(proxies.contains(ip("11.0.0.1")));
  EXPECT_TRUE(proxies.contains(ip("192.0.2.1")));
  EXPECT_FALSE(proxies.contains(ip("192.0.2.2")));
  EXPECT_TRUE(proxies.contains(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(proxies.contains(ip("2001:db9::1")));
  EXPECT_TRUE(proxies.contains(ip("172.16.3.4")));  // /108 of the mapped form is IPv4 /12
  EXPECT_FALSE(proxies.contains(ip("172.32.0.1")));
  EXPECT_EQ(proxies.size(), 4u);
}

TEST(TrustedProxies, AnIpv4NetworkMatchesMappedPeersAndIpv6NetworksDoNotMatchIpv4) {
  PeerAddress mapped = ip("::ffff:10.1.2.3");
  mapped.is_v4 = false;  // as a dual-stack socket would report it
  EXPECT_TRUE(TrustedProxies({"10.0.0.0/8"}).contains(mapped));
  EXPECT_FALSE(TrustedProxies({"::/0"}).contains(ip("10.1.2.3")));
  EXPECT_TRUE(TrustedProxies({"::/0"}).contains(ip("2001:db8::1")));
  EXPECT_TRUE(TrustedProxies({"0.0.0.0/0"}).contains(ip("10.1.2.3")));
  EXPECT_FALSE(TrustedProxies({"0.0.0.0/0"}).contains(ip("2001:db8::1")));
}

TEST(TrustedProxies, RefusesMalformedNetworks) {
  for (const char* bad : {"", "nonsense", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
                          "::1/129", "10.0.0/8", "[::1]/128", "10.0.0.0/0008", "fe80::1%eth0/64"}) {
    EXPECT_THROW(TrustedProxies({bad}), std::invalid_argument) << bad;
  }
}

TEST(TrustedProxies, RefusesAddressBitsBeyondThePrefixAndSuggestsTheNetwork) {
  try {
    TrustedProxies({"10.0.0.1/8"});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean \"10.0.0.0/8\""), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(TrustedProxies({"2001:db8::1/32"}), std::invalid_argument);
}

TEST(ParseNode, AcceptsTheFormsForwardingHeadersUse) {
  EXPECT_TRUE(parse_node("192.0.2.1"));
  EXPECT_TRUE(parse_node("192.0.2.1:80"));
  EXPECT_TRUE(parse_node("[2001:db8::1]"));
  EXPECT_TRUE(parse_node("[2001:db8::1]:_obf"));
  EXPECT_TRUE(parse_node("2001:db8::1"));
  EXPECT_FALSE(parse_node("unknown"));
  EXPECT_FALSE(parse_node("_hidden"));
  EXPECT_FALSE(parse_node("[192.0.2.1]"));
  EXPECT_FALSE(parse_node("[2001:db8::1]x"));
  EXPECT_FALSE(parse_node("2001:db8::1:"));
  EXPECT_FALSE(parse_node("192.0.2.1:"));
  EXPECT_FALSE(parse_node("example.com"));
  EXPECT_FALSE(parse_node(""));
}

}  // namespace
}  // namespace surge::detail
