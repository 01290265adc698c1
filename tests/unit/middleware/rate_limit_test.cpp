#include "middleware/rate_limit.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include <surge/context.hpp>

#include <gtest/gtest.h>

#include "protection_support.hpp"

namespace surge::detail {
namespace {

using namespace test::protection_names;

PeerAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  PeerAddress peer;
  peer.bytes[10] = peer.bytes[11] = 0xff;
  peer.bytes[12] = a;
  peer.bytes[13] = b;
  peer.bytes[14] = c;
  peer.bytes[15] = d;
  peer.is_v4 = true;
  return peer;
}

PeerAddress v6(std::uint16_t first, std::uint16_t last) {
  PeerAddress peer;
  peer.bytes[0] = static_cast<std::uint8_t>(first >> 8);
  peer.bytes[1] = static_cast<std::uint8_t>(first);
  peer.bytes[14] = static_cast<std::uint8_t>(last >> 8);
  peer.bytes[15] = static_cast<std::uint8_t>(last);
  return peer;
}

class RateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { test::reset_clock(); }

  static RateLimitConfig config(std::uint32_t rate, std::uint32_t burst,
                                RateLimitKey key = RateLimitKey::kNone) {
    RateLimitConfig c;
    c.name = "test";
    c.rate = rate;
    c.burst = burst;
    c.key = key;
    c.now = &fake_now;
    return c;
  }

  // One request through the limit; the handler answers 200 "ok".
  struct Served {
    std::unique_ptr<FakeExchange> fx;
    bool handled = false;
    int status() const { return fx->status(); }
  };
  static Served serve(RateLimit& limit, const std::string& headers = "", PeerAddress peer = {},
                      std::size_t worker = 0, std::string_view route = "") {
    Served s{
        std::make_unique<FakeExchange>(request("GET", "/items?secret=1", headers), peer, worker)};
    if (!route.empty()) s.fx->exchange().route().pattern = route;
    s.fx->run({&limit}, [&s](Context& ctx) {
      s.handled = true;
      ctx.text(200, "ok");
    });
    return s;
  }
  static int status(RateLimit& limit, const std::string& headers = "", PeerAddress peer = {},
                    std::size_t worker = 0, std::string_view route = "") {
    return serve(limit, headers, peer, worker, route).status();
  }
};

TEST_F(RateLimitTest, AdmitsTheBurstThenOneRequestPerInterval) {
  RateLimit limit(config(2, 3), nullptr);  // 2 r/s: a token every 500 ms
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(status(limit), 200) << i;
  EXPECT_EQ(status(limit), 429);
  g_now += 499ms;
  EXPECT_EQ(status(limit), 429);
  g_now += 1ms;
  EXPECT_EQ(status(limit), 200);
  EXPECT_EQ(status(limit), 429);
  g_now += 10s;  // idle: the bucket holds the burst, never more
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(status(limit), 200) << i;
  EXPECT_EQ(status(limit), 429);
  const RateLimitCounters c = limit.counters();
  EXPECT_EQ(c.allowed, 7u);
  EXPECT_EQ(c.limited, 4u);
  EXPECT_EQ(c.dry_run_limited, 0u);
}

TEST_F(RateLimitTest, ARejectionCarriesItsStatusBodyAndExactFields) {
  RateLimit limit(config(1, 2), nullptr);
  EXPECT_EQ(status(limit), 200);
  EXPECT_EQ(status(limit), 200);
  g_now += 500ms;
  Served refused = serve(limit);
  EXPECT_FALSE(refused.handled);
  EXPECT_EQ(refused.status(), 429);
  EXPECT_EQ(refused.fx->body(), "rate limit \"test\" exceeded\n");
  EXPECT_EQ(refused.fx->content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(refused.fx->header("Retry-After"), "1");  // 0.5 s, rounded up
  EXPECT_EQ(refused.fx->header("RateLimit-Policy"), "\"test\";q=1;w=1");
  EXPECT_EQ(refused.fx->header("RateLimit"), "\"test\";r=0;t=2");  // full again in 1.5 s
}

TEST_F(RateLimitTest, RetryAfterCountsWholeSecondsToTheNextToken) {
  RateLimitConfig c = config(6, 1);
  c.per = 1min;  // a token every 10 s
  RateLimit limit(c, nullptr);
  EXPECT_EQ(status(limit), 200);
  g_now += 2500ms;
  Served refused = serve(limit);
  EXPECT_EQ(refused.fx->header("Retry-After"), "8");  // 7.5 s
  EXPECT_EQ(refused.fx->header("RateLimit-Policy"), "\"test\";q=6;w=60");
  EXPECT_EQ(refused.fx->header("RateLimit"), "\"test\";r=0;t=8");
}

TEST_F(RateLimitTest, FieldsOnEveryResponseOnlyWhenConfigured) {
  RateLimitConfig c = config(100, 100);
  c.per = 1min;  // a token every 600 ms
  RateLimit quiet(c, nullptr);
  Served plain = serve(quiet);
  EXPECT_EQ(plain.status(), 200);
  EXPECT_FALSE(plain.fx->header("RateLimit"));
  EXPECT_FALSE(plain.fx->header("RateLimit-Policy"));

  c.headers = true;
  RateLimit loud(c, nullptr);
  Served first = serve(loud);
  EXPECT_EQ(first.status(), 200);
  EXPECT_EQ(first.fx->header("RateLimit-Policy"), "\"test\";q=100;w=60");
  EXPECT_EQ(first.fx->header("RateLimit"), "\"test\";r=99;t=1");
  EXPECT_EQ(first.fx->header_count("RateLimit"), 1u);
  Served second = serve(loud);
  EXPECT_EQ(second.fx->header("RateLimit"), "\"test\";r=98;t=2");
}

TEST_F(RateLimitTest, DryRunCountsAndLogsButLetsEverythingThrough) {
  CapturedLog log;
  RateLimitConfig c = config(1, 1);
  c.dry_run = true;
  RateLimit limit(c, log.log);
  for (int i = 0; i < 4; ++i) {
    Served s = serve(limit);
    EXPECT_TRUE(s.handled);
    EXPECT_EQ(s.status(), 200);
    EXPECT_FALSE(s.fx->header("Retry-After"));
  }
  const RateLimitCounters counters = limit.counters();
  EXPECT_EQ(counters.allowed, 1u);
  EXPECT_EQ(counters.dry_run_limited, 3u);
  EXPECT_EQ(counters.limited, 0u);
  EXPECT_EQ(log.lines(), 3u);
  EXPECT_NE(log.text().find("dry run"), std::string::npos) << log.text();
}

TEST_F(RateLimitTest, TheRejectionStatusIsConfigurable) {
  RateLimitConfig c = config(1, 1);
  c.status = 503;
  RateLimit limit(c, nullptr);
  EXPECT_EQ(status(limit), 200);
  EXPECT_EQ(status(limit), 503);
}

TEST_F(RateLimitTest, ClientAddressKeysGiveEachClientItsBucket) {
  RateLimit limit(config(1, 1, RateLimitKey::kClientAddress), nullptr);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 429);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 2)), 200);
}

TEST_F(RateLimitTest, AnIpv6PrefixMakesOneBucketPerNetwork) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kClientAddress);
  c.ipv6_prefix = 64;
  RateLimit limit(c, nullptr);
  EXPECT_EQ(status(limit, "", v6(0x2001, 1)), 200);
  EXPECT_EQ(status(limit, "", v6(0x2001, 2)), 429);  // same /64
  EXPECT_EQ(status(limit, "", v6(0x2002, 1)), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 200);  // IPv4 stays whole
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 2)), 200);
}

TEST_F(RateLimitTest, AnIpv6PrefixNeverMergesIpv4ClientsOfADualStackSocket) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kClientAddress);
  c.ipv6_prefix = 64;
  RateLimit limit(c, nullptr);
  PeerAddress first = v4(192, 0, 2, 1);
  PeerAddress second = v4(192, 0, 2, 2);
  first.is_v4 = second.is_v4 = false;  // ::ffff:192.0.2.x, as a dual-stack socket reports them
  EXPECT_EQ(status(limit, "", first), 200);
  EXPECT_EQ(status(limit, "", second), 200);
}

TEST_F(RateLimitTest, BehindATrustedProxyTheForwardedClientIsTheKey) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kClientAddress);
  c.client_address.trusted_proxies = TrustedProxies({"10.0.0.0/8"});
  RateLimit limit(c, nullptr);
  const PeerAddress balancer = v4(10, 0, 0, 1);
  EXPECT_EQ(status(limit, "X-Forwarded-For: 198.51.100.1\r\n", balancer), 200);
  EXPECT_EQ(status(limit, "X-Forwarded-For: 198.51.100.2\r\n", balancer), 200);
  EXPECT_EQ(status(limit, "X-Forwarded-For: 198.51.100.1\r\n", balancer), 429);
  // An untrusted client cannot pick its key.
  EXPECT_EQ(status(limit, "X-Forwarded-For: 198.51.100.3\r\n", v4(203, 0, 113, 9)), 200);
  EXPECT_EQ(status(limit, "X-Forwarded-For: 198.51.100.4\r\n", v4(203, 0, 113, 9)), 429);
}

TEST_F(RateLimitTest, HeaderKeysGiveEachApiKeyItsBucket) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kHeader);
  c.header = "X-API-Key";
  RateLimit limit(c, nullptr);
  EXPECT_EQ(status(limit, "X-API-Key: alpha\r\n"), 200);
  EXPECT_EQ(status(limit, "x-api-key: alpha\r\n"), 429);
  EXPECT_EQ(status(limit, "X-API-Key: beta\r\n"), 200);
  // Without the header: one shared bucket (kShare, the default).
  EXPECT_EQ(status(limit), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 7)), 429);
  EXPECT_EQ(limit.counters().skipped, 0u);
}

TEST_F(RateLimitTest, AMissingKeyHeaderCanSkipTheLimit) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kHeader);
  c.header = "X-API-Key";
  c.missing_header = MissingKey::kSkip;
  RateLimit limit(c, nullptr);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(status(limit), 200);
  EXPECT_EQ(limit.counters().skipped, 3u);
  EXPECT_EQ(limit.counters().allowed, 0u);
  EXPECT_EQ(status(limit, "X-API-Key: alpha\r\n"), 200);
  EXPECT_EQ(status(limit, "X-API-Key: alpha\r\n"), 429);
}

TEST_F(RateLimitTest, RouteKeysGiveEachRouteItsBucket) {
  RateLimit limit(config(1, 1, RateLimitKey::kRoute), nullptr);
  EXPECT_EQ(status(limit, "", {}, 0, "/a/:id"), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1), 0, "/a/:id"), 429);
  EXPECT_EQ(status(limit, "", {}, 0, "/b"), 200);
}

TEST_F(RateLimitTest, NoKeyMeansOneBucketForEveryone) {
  RateLimit limit(config(1, 1), nullptr);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 2)), 429);
}

TEST_F(RateLimitTest, KeyedLimitsSplitTheBurstAcrossWorkersByDefault) {
  RateLimit limit(config(4, 4, RateLimitKey::kClientAddress), nullptr);
  limit.attach(2);
  EXPECT_EQ(limit.share(), RateLimitShare::kSplit);
  const PeerAddress client = v4(192, 0, 2, 1);
  // Each worker enforces 2 r/s with a burst of 2: the process admits at most the configured 4.
  for (std::size_t worker : {0, 1}) {
    EXPECT_EQ(status(limit, "", client, worker), 200);
    EXPECT_EQ(status(limit, "", client, worker), 200);
    EXPECT_EQ(status(limit, "", client, worker), 429);
  }
}

TEST_F(RateLimitTest, AFullShareGivesEachWorkerTheWholeLimit) {
  RateLimitConfig c = config(4, 2, RateLimitKey::kClientAddress);
  c.share = RateLimitShare::kFull;
  RateLimit limit(c, nullptr);
  limit.attach(2);
  for (std::size_t worker : {0, 1}) {
    EXPECT_EQ(status(limit, "", {}, worker), 200);
    EXPECT_EQ(status(limit, "", {}, worker), 200);
    EXPECT_EQ(status(limit, "", {}, worker), 429);
  }
}

TEST_F(RateLimitTest, TheGlobalBucketIsSharedByEveryWorkerByDefault) {
  RateLimit limit(config(1, 3), nullptr);
  limit.attach(4);
  EXPECT_EQ(limit.share(), RateLimitShare::kShared);
  EXPECT_EQ(status(limit, "", {}, 0), 200);
  EXPECT_EQ(status(limit, "", {}, 1), 200);
  EXPECT_EQ(status(limit, "", {}, 2), 200);
  EXPECT_EQ(status(limit, "", {}, 3), 429);
  EXPECT_EQ(status(limit, "", {}, 0), 429);
  const RateLimitCounters c = limit.counters();
  EXPECT_EQ(c.allowed, 3u);
  EXPECT_EQ(c.limited, 2u);
}

TEST_F(RateLimitTest, TheKeyTableIsBoundedAndForgetsTheLeastRecentlyUsed) {
  RateLimitConfig c = config(1, 1, RateLimitKey::kClientAddress);
  c.per = 1h;
  c.max_keys = 2;
  RateLimit limit(c, nullptr);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 2)), 200);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 429);  // 1 is now the most recent
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 3)), 200);  // evicts 2
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 1)), 429);
  EXPECT_EQ(status(limit, "", v4(192, 0, 2, 2)), 200);  // forgotten: a full bucket again
}

TEST_F(RateLimitTest, ARejectionLogsOneLineNamingTheClientButNeverTheKeyValue) {
  CapturedLog log;
  RateLimitConfig c = config(1, 1, RateLimitKey::kHeader);
  c.header = "X-API-Key";
  RateLimit limit(c, log.log);
  EXPECT_EQ(status(limit, "X-API-Key: s3cr3t\r\n", v4(192, 0, 2, 1)), 200);
  EXPECT_EQ(log.lines(), 0u);
  EXPECT_EQ(status(limit, "X-API-Key: s3cr3t\r\n", v4(192, 0, 2, 1)), 429);
  const std::string line = log.text();
  EXPECT_EQ(log.lines(), 1u);
  EXPECT_EQ(line.rfind("info rate limit \"test\" exceeded", 0), 0u) << line;
  EXPECT_NE(line.find("client=192.0.2.1"), std::string::npos) << line;
  EXPECT_NE(line.find("key=header"), std::string::npos) << line;
  EXPECT_NE(line.find("path=/items"), std::string::npos) << line;
  EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
  EXPECT_EQ(line.find("secret=1"), std::string::npos) << "the query may hold secrets: " << line;
}

TEST_F(RateLimitTest, AFloodOfRejectionsLogsAtMostTenLinesASecond) {
  CapturedLog log;
  RateLimitConfig c = config(1, 1);
  c.per = 1h;
  RateLimit limit(c, log.log);
  EXPECT_EQ(status(limit), 200);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(status(limit), 429);
  EXPECT_EQ(log.lines(), 10u);
  EXPECT_EQ(limit.counters().log_suppressed, 90u);
  EXPECT_EQ(limit.counters().limited, 100u);
  g_now += 1s;
  EXPECT_EQ(status(limit), 429);
  EXPECT_EQ(log.lines(), 11u);
  EXPECT_NE(log.text().find("suppressed_before=90"), std::string::npos);
}

TEST_F(RateLimitTest, InvalidConfigsAreRefused) {
  RateLimitConfig shared_keyed = config(1, 1, RateLimitKey::kClientAddress);
  shared_keyed.share = RateLimitShare::kShared;
  EXPECT_THROW(RateLimit(shared_keyed, nullptr), std::invalid_argument);
  RateLimitConfig no_header = config(1, 1, RateLimitKey::kHeader);
  EXPECT_THROW(RateLimit(no_header, nullptr), std::invalid_argument);
  RateLimitConfig bad_name = config(1, 1);
  bad_name.name = "a\"b";
  EXPECT_THROW(RateLimit(bad_name, nullptr), std::invalid_argument);
  RateLimitConfig zero_rate = config(0, 1);
  EXPECT_THROW(RateLimit(zero_rate, nullptr), std::invalid_argument);
  RateLimitConfig bad_status = config(1, 1);
  bad_status.status = 200;
  EXPECT_THROW(RateLimit(bad_status, nullptr), std::invalid_argument);
  RateLimitConfig bad_prefix = config(1, 1, RateLimitKey::kClientAddress);
  bad_prefix.ipv6_prefix = 129;
  EXPECT_THROW(RateLimit(bad_prefix, nullptr), std::invalid_argument);
}

TEST_F(RateLimitTest, ThePublicFactoryBuildsOne) {
  MiddlewarePtr mw = make_rate_limit(config(1, 1));
  ASSERT_NE(dynamic_cast<RateLimit*>(mw.get()), nullptr);
  EXPECT_THROW(make_rate_limit(config(0, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace surge::detail
