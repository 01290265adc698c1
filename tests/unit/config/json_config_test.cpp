#include "config/json_config.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

namespace surge::detail {
namespace {

// Runs parse_config and returns the ConfigError's JSON path and message (or "" if it parsed).
std::pair<std::string, std::string> failure(const std::string& json) {
  try {
    parse_config(json, "test.json");
  } catch (const ConfigError& e) {
    return {e.json_path(), e.what()};
  }
  return {"", ""};
}

TEST(JsonConfig, EmptyObjectGivesTheDocumentedDefaults) {
  DaemonConfig c = parse_config("{}", "test.json");
  ServerConfig defaults;
  EXPECT_EQ(c.server.listen, defaults.listen);
  EXPECT_EQ(c.server.limits.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c.server.timeouts.idle, std::chrono::milliseconds(75000));
  EXPECT_EQ(c.log.level, "info");
}

TEST(JsonConfig, ReadsEverySection) {
  DaemonConfig c = parse_config(R"({
    "listen": ["127.0.0.1:9000", "[::1]:9000"], "threads": 3, "pin_workers": true,
    "backlog": 128, "server_header": "",
    "limits": {"max_request_line_bytes": 1000, "max_header_bytes": 2000, "max_header_count": 10,
               "max_body_bytes": 5, "max_connections_per_worker": 7,
               "max_requests_per_connection": 0, "max_pipelined_responses": 2},
    "timeouts": {"header_ms": 1, "body_ms": 2, "idle_ms": 3, "write_ms": 4, "linger_ms": 5},
    "shutdown": {"drain_delay_ms": 6, "timeout_ms": 7},
    "pools": {"buffer_bytes": 2048, "buffers_per_worker": 8, "contexts_per_worker": 9,
              "release_idle_after_ms": 10},
    "log": {"level": "debug"}
  })", "test.json");
  EXPECT_EQ(c.server.listen.size(), 2u);
  EXPECT_EQ(c.server.threads, 3u);
  EXPECT_TRUE(c.server.pin_workers);
  EXPECT_EQ(c.server.server_header, "");
  EXPECT_EQ(c.server.limits.max_header_count, 10u);
  EXPECT_EQ(c.server.limits.max_requests_per_connection, 0u);
  EXPECT_EQ(c.server.timeouts.linger, std::chrono::milliseconds(5));
  EXPECT_EQ(c.server.shutdown.timeout, std::chrono::milliseconds(7));
  EXPECT_EQ(c.server.pools.release_idle_after, std::chrono::milliseconds(10));
  EXPECT_EQ(c.log.level, "debug");
}

TEST(JsonConfig, UnknownKeysAreErrorsWithASuggestion) {
  auto [path, message] = failure(R"({"limits": {"max_body_byte": 5}})");
  EXPECT_EQ(path, "/limits/max_body_byte");
  EXPECT_NE(message.find("unknown key"), std::string::npos);
  EXPECT_NE(message.find("did you mean \"max_body_bytes\""), std::string::npos);
  EXPECT_EQ(failure(R"({"colour": 1})").first, "/colour");
}

TEST(JsonConfig, WrongTypesNameTheKey) {
  EXPECT_EQ(failure(R"({"threads": "two"})").first, "/threads");
  EXPECT_EQ(failure(R"({"limits": []})").first, "/limits");
  EXPECT_EQ(failure(R"({"listen": ["1.2.3.4:80", 5]})").first, "/listen/1");
  EXPECT_EQ(failure(R"({"pin_workers": 1})").first, "/pin_workers");
  EXPECT_EQ(failure(R"([])").first, "/");
}

TEST(JsonConfig, OutOfRangeValuesNameTheKeyAndTheRange) {
  auto [path, message] = failure(R"({"limits": {"max_header_count": 0}})");
  EXPECT_EQ(path, "/limits/max_header_count");
  EXPECT_NE(message.find("from 1 to 1000"), std::string::npos);
  EXPECT_EQ(failure(R"({"timeouts": {"idle_ms": -1}})").first, "/timeouts/idle_ms");
  EXPECT_EQ(failure(R"({"limits": {"max_body_bytes": 18446744073709551615}})").first,
            "/limits/max_body_bytes");
  EXPECT_EQ(failure(R"({"log": {"level": "loud"}})").first, "/log/level");
}

TEST(JsonConfig, CrossFieldRulesAreChecked) {
  EXPECT_EQ(failure(R"({"limits": {"max_request_line_bytes": 9000, "max_header_bytes": 8000}})").first,
            "/limits/max_request_line_bytes");
  EXPECT_EQ(failure(R"({"listen": []})").first, "/listen");
  auto [path, message] = failure(R"({"listen": ["0.0.0.0:80", "localhost:80"]})");
  EXPECT_EQ(path, "/listen/1");
  EXPECT_NE(message.find("localhost:80"), std::string::npos);
  EXPECT_EQ(failure("{\"server_header\": \"a\\nb\"}").first, "/server_header");
}

TEST(JsonConfig, SyntaxErrorsNameTheFile) {
  auto [path, message] = failure("{\"threads\": }");
  EXPECT_EQ(path, "");
  EXPECT_NE(message.find("test.json"), std::string::npos);
  EXPECT_NE(message.find("not valid JSON"), std::string::npos);
}

TEST(JsonConfig, MissingFileIsAConfigError) {
  EXPECT_THROW(load_config_file("/nonexistent/surge.json"), ConfigError);
}

}  // namespace
}  // namespace surge::detail
