#include "config/upstream_reader.hpp"

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "config_failure.hpp"

namespace surge::test {
namespace {

TEST(UpstreamReader, ReadsServersTimeoutsAndKeepalive) {
  const detail::DaemonConfig c = detail::parse_config(R"({"upstreams": {"app": {
      "servers": [{"address": "127.0.0.1:9001"}, {"address": "app-2.internal:9001", "weight": 2}],
      "timeouts": {"connect_ms": 100, "read_ms": 200, "send_ms": 300},
      "keepalive": {"idle_per_host": 8, "idle_timeout_ms": 1000, "max_requests": 5, "max_lifetime_ms": 9000},
      "tunnels": {"idle_timeout_ms": 60000, "max_per_worker": 7},
      "resolve_every_ms": 0}}})", "test.json");
  ASSERT_EQ(c.upstreams.size(), 1u);
  const detail::UpstreamConfig& u = c.upstreams[0];
  EXPECT_EQ(u.name, "app");
  ASSERT_EQ(u.servers.size(), 2u);
  EXPECT_EQ(u.servers[1].address, "app-2.internal:9001");
  EXPECT_EQ(u.servers[1].weight, 2u);
  EXPECT_EQ(u.timeouts.connect.count(), 100);
  EXPECT_EQ(u.timeouts.read.count(), 200);
  EXPECT_EQ(u.timeouts.send.count(), 300);
  EXPECT_EQ(u.keepalive.idle_per_host, 8u);
  EXPECT_EQ(u.keepalive.max_requests, 5u);
  EXPECT_EQ(u.tunnels.idle_timeout.count(), 60000);
  EXPECT_EQ(u.tunnels.max_per_worker, 7u);
  EXPECT_EQ(u.resolve_every.count(), 0);
}

TEST(UpstreamReader, TunnelsDefaultToLongIdleAndAWorkerCap) {
  const detail::DaemonConfig c =
      detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "127.0.0.1:9001"}]}}})", "test.json");
  EXPECT_EQ(c.upstreams[0].tunnels.idle_timeout.count(), 3600000);
  EXPECT_EQ(c.upstreams[0].tunnels.max_per_worker, 10000u);
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "tunnels": {"idle_timeout_ms": 0}}}})").first,
            "/upstreams/app/tunnels/idle_timeout_ms");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "tunnels": {"max_per_worker": -1}}}})").first,
            "/upstreams/app/tunnels/max_per_worker");
}

TEST(UpstreamReader, RefusesWhatCannotWorkAtItsPath) {
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": []}}})").first, "/upstreams/app/servers");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "nohost"}]}}})").first,
            "/upstreams/app/servers/0/address");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1", "weight": 0}]}}})").first,
            "/upstreams/app/servers/0/weight");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "timeouts": {"read_ms": 0}}}})").first,
            "/upstreams/app/timeouts/read_ms");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}], "retries": 3}}})").first,
            "/upstreams/app/retries");
  EXPECT_EQ(config_failure(R"({"upstreams": {"a b": {"servers": [{"address": "a:1"}]}}})").first, "/upstreams/a b");
}

TEST(ProxyKind, NamesAnUpstreamThatExists) {
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app"}}]})").first,
            "/routes/0/handler/upstream");
  EXPECT_EQ(config_failure(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "handler": {"type": "proxy", "upstream": "app", "strip_prefix": "api"}}]})").first,
            "/routes/0/handler/strip_prefix");
  const detail::DaemonConfig c = detail::parse_config(R"({"upstreams": {"app": {"servers": [{"address": "a:1"}]}},
      "routes": [{"path": "/*p", "method": "*", "handler": {"type": "proxy", "upstream": "app"}}]})", "test.json");
  EXPECT_EQ(c.routes[0].methods.size(), kMethodCount);  // "*": every method
  EXPECT_EQ(c.routes[0].handler.type(), "proxy");
  EXPECT_TRUE(c.routes[0].handler.streams_body());  // the body flows upstream as it arrives
}

}  // namespace
}  // namespace surge::test
