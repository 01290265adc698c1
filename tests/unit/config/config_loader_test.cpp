#include "config/config_loader.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

TEST(ConfigLoader, EmptyObjectGivesTheDocumentedDefaults) {
  DaemonConfig c = parse_config("{}", "test.json");
  ServerConfig defaults;
  EXPECT_EQ(c.server.listen, defaults.listen);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c.server.timeouts.idle, std::chrono::milliseconds(75000));
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c, DaemonConfig{});
}

TEST(ConfigLoader, WithoutRoutesServesTheDefaultOnes) {
  const std::vector<RouteConfig> routes = parse_config("{}", "test.json").routes;
  ASSERT_EQ(routes.size(), 3u);
  EXPECT_EQ(routes[0].path, "/plaintext");
  EXPECT_EQ(routes[0].handler.type(), "text");
  EXPECT_EQ(routes[1].path, "/json");
  EXPECT_EQ(routes[2].path, "/users/:id");
  EXPECT_EQ(routes[2].handler.type(), "json");
  EXPECT_EQ(routes[2].json_path, "built-in route 2");
  EXPECT_TRUE(parse_config(R"({"routes": []})", "test.json").routes.empty());
}

TEST(ConfigLoader, ReadsEverySection) {
  DaemonConfig c = parse_config(R"({
    "listen": ["127.0.0.1:9000"], "threads": 3,
    "limits": {"max_body_bytes": 5}, "timeouts": {"idle_ms": 3}, "shutdown": {"timeout_ms": 7},
    "pools": {"buffer_bytes": 2048}, "offload": {"threads": 0},
    "log": {"level": "debug"}, "builtins": {"readyz": false}, "metrics": {"enabled": false},
    "access_log": {"enabled": true}, "middleware": {"request_id": {"enabled": true}},
    "rate_limits": {"a": {}}, "breakers": {"b": {}}, "load_shedding": {},
    "routes": [{"path": "/e", "handler": {"type": "echo"}}]
  })", "test.json");
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_EQ(c.server.limits.max_body_bytes, 5u);
  EXPECT_EQ(c.server.timeouts.idle, std::chrono::milliseconds(3));
  EXPECT_EQ(c.server.shutdown.timeout, std::chrono::milliseconds(7));
  EXPECT_EQ(c.server.pools.buffer_bytes, 2048u);
  EXPECT_EQ(c.server.offload.threads, 0u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_FALSE(c.builtins.readyz);
  EXPECT_FALSE(c.metrics.enabled);
  EXPECT_TRUE(c.access_log.enabled);
  EXPECT_TRUE(c.middleware.request_id);
  EXPECT_EQ(c.rate_limits.size(), 1u);
  EXPECT_EQ(c.breakers.size(), 1u);
  EXPECT_TRUE(c.load_shedding);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].handler.type(), "echo");
}

TEST(ConfigLoader, UnknownTopLevelKeysAreErrorsWithASuggestion) {
  auto [path, message] = config_failure(R"({"rate_limit": {}})");
  EXPECT_EQ(path, "/rate_limit");
  EXPECT_NE(message.find("did you mean \"rate_limits\""), std::string::npos) << message;
  EXPECT_NE(config_failure(R"({"rute": []})").second.find("did you mean \"routes\""), std::string::npos);
}

TEST(ConfigLoader, CrossFieldRulesAreChecked) {
  EXPECT_EQ(config_failure(R"({"limits": {"max_request_line_bytes": 9000, "max_header_bytes": 8000}})").first,
            "/limits/max_request_line_bytes");
  EXPECT_EQ(config_failure(R"({"listen": []})").first, "/listen");
  auto [path, message] = config_failure(R"({"listen": ["0.0.0.0:80", "localhost:80"]})");
  EXPECT_EQ(path, "/listen/1");
  EXPECT_NE(message.find("localhost:80"), std::string::npos);
  EXPECT_EQ(config_failure("{\"server_header\": \"a\\nb\"}").first, "/server_header");
}

TEST(ConfigLoader, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config_file("/nonexistent/surge.json"), ConfigError);
}

}  // namespace
}  // namespace surge::detail
