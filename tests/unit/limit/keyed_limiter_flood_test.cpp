// A flood of one million distinct client addresses through a trusted proxy's X-Forwarded-For
// (issue 12): the per-client-address limiter must stay within its key table, evicting the least
// recently used address, and stop allocating once its table exists.
#include "limit/keyed_limiter.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include <gtest/gtest.h>

#include "limit/client_address.hpp"
#include "support/allocation_counter.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kAddresses = 1'000'000;
constexpr std::uint32_t kMaxKeys = 65'536;  // KeyedLimiterConfig's default
constexpr std::uint32_t kWarmUp = 1'000;
constexpr SipKey kSeed{0x5eed, 0xf100d};

// What ClientAddressResolver reads of a request: the proxy as the TCP peer and the one
// X-Forwarded-For line it appended, "<client>, <proxy>" (the proxy is trusted, so skipped).
struct ProxiedRequest {
  struct Field {
    std::string_view name;
    std::string_view value;
  };
  PeerAddress proxy;
  std::string_view forwarded_for;
  const PeerAddress& peer() const { return proxy; }
  std::size_t header_count() const { return 2; }
  Field header_at(std::size_t i) const {
    if (i == 0) return {"Host", "api.example"};
    return {"X-Forwarded-For", forwarded_for};
  }
};

// The i-th distinct client, written into `buffer` without allocating: 10.0.0.0/8 for IPv4, one
// /64 each under 2001:db8::/32 for IPv6.
std::string_view forwarded_for(char (&buffer)[96], std::uint32_t i, bool v6) {
  const int n = v6 ? std::snprintf(buffer, sizeof buffer, "2001:db8:%x:%x::1, 127.0.0.1", i >> 16,
                                   i & 0xffffu)
                   : std::snprintf(buffer, sizeof buffer, "10.%u.%u.%u, 127.0.0.1", i >> 16,
                                   (i >> 8) & 0xffu, i & 0xffu);
  return {buffer, static_cast<std::size_t>(n)};
}

struct FloodResult {
  std::uint32_t most_keys = 0;
  std::uint64_t allocations_after_warm_up = 0;
  std::uint32_t allowed = 0;
  KeyedLimiterStats stats;
};

FloodResult flood(bool v6) {
  ClientAddressConfig config;
  config.trusted_proxies.add("127.0.0.1");
  const ClientAddressResolver resolver(std::move(config));
  // 10 requests a second with a burst of 2, like a per_ip limit; IPv6 keyed by /64 as configured
  // for real clients.
  KeyedLimiter limiter({{10, 1s, 2}, kMaxKeys}, kSeed);
  const unsigned prefix = v6 ? 64 : 128;

  FloodResult result;
  ProxiedRequest request{*parse_ip_literal("127.0.0.1"), {}};
  char buffer[96];
  Clock::time_point now{};
  std::uint64_t allocations_at_warm_up = 0;
  for (std::uint32_t i = 0; i < kAddresses; ++i) {
    if (i == kWarmUp) allocations_at_warm_up = test::allocation_count();
    request.forwarded_for = forwarded_for(buffer, i, v6);
    const PeerAddress client = resolver.resolve(request);
    now += 1us;  // a million requests a second
    if (limiter.try_acquire(LimitKey::from_address(client, prefix), now).allowed) ++result.allowed;
    const std::uint32_t keys = limiter.stats().keys;
    if (keys > result.most_keys) result.most_keys = keys;
  }
  result.allocations_after_warm_up = test::allocation_count() - allocations_at_warm_up;
  result.stats = limiter.stats();
  return result;
}

void expect_bounded(const FloodResult& r) {
  EXPECT_LE(r.most_keys, kMaxKeys);
  EXPECT_EQ(r.stats.keys, kMaxKeys);
  EXPECT_EQ(r.stats.max_keys, kMaxKeys);
  // Every address was new: each one beyond the table's size evicted the least recently used.
  EXPECT_EQ(r.stats.evictions, kAddresses - kMaxKeys);
  // An address seen once took one token of a full bucket: evicting it forgives nothing that
  // matters, but its bucket had not refilled yet, so it is counted as limited.
  EXPECT_EQ(r.stats.evictions_while_limited, kAddresses - kMaxKeys);
  EXPECT_EQ(r.allowed, kAddresses);  // each distinct address gets its own (full) bucket
  EXPECT_EQ(r.allocations_after_warm_up, 0u);
}

TEST(KeyedLimiterFlood, AMillionIpv4ClientsBehindATrustedProxyStayWithinTheKeyTable) {
  expect_bounded(flood(false));
}

TEST(KeyedLimiterFlood, AMillionIpv6PrefixesBehindATrustedProxyStayWithinTheKeyTable) {
  expect_bounded(flood(true));
}

}  // namespace
}  // namespace surge::detail
