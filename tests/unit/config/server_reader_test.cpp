#include "config/server_reader.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

ServerConfig read(const std::string& json) {
  ServerConfig c;
  read_document(json, "test.json", [&](ObjectReader& root) { read_server(root, c); });
  return c;
}

TEST(ServerReader, ReadsTheTopLevelKeysAndEverySection) {
  ServerConfig c = read(R"({
    "listen": ["127.0.0.1:9000", "[::1]:9000"], "threads": 3, "pin_workers": true,
    "backlog": 128, "server_header": "",
    "limits": {"max_request_line_bytes": 1000, "max_header_bytes": 2000, "max_header_count": 10,
               "max_body_bytes": 5, "max_connections_per_worker": 7,
               "max_requests_per_connection": 0, "max_pipelined_responses": 2},
    "timeouts": {"header_ms": 1, "body_ms": 2, "idle_ms": 3, "write_ms": 4, "linger_ms": 5,
                 "body_min_bytes_per_s": 0, "send_min_bytes_per_s": 9, "min_rate_grace_ms": 8,
                 "handler_ms": 6},
    "shutdown": {"drain_delay_ms": 6, "timeout_ms": 7},
    "pools": {"buffer_bytes": 2048, "buffers_per_worker": 8, "contexts_per_worker": 9,
              "release_idle_after_ms": 10},
    "offload": {"threads": 2, "queue": 3}
  })");
  EXPECT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_TRUE(c.pin_workers);
  EXPECT_EQ(c.backlog, 128);
  EXPECT_EQ(c.server_header, "");
  EXPECT_EQ(c.limits.max_header_count, 10u);
  EXPECT_EQ(c.limits.max_requests_per_connection, 0u);
  EXPECT_EQ(c.timeouts.linger, std::chrono::milliseconds(5));
  EXPECT_EQ(c.timeouts.send_min_bytes_per_s, 9u);
  EXPECT_EQ(c.timeouts.handler, std::chrono::milliseconds(6));
  EXPECT_EQ(c.shutdown.timeout, std::chrono::milliseconds(7));
  EXPECT_EQ(c.pools.release_idle_after, std::chrono::milliseconds(10));
  EXPECT_EQ(c.offload.queue, 3u);
  EXPECT_NO_THROW(validate(c, "test.json"));
}

TEST(ServerReader, OutOfRangeValuesNameTheKeyAndTheRange) {
  auto [path, message] = config_failure(R"({"limits": {"max_header_count": 0}})");
  EXPECT_EQ(path, "/limits/max_header_count");
  EXPECT_NE(message.find("from 1 to 1000"), std::string::npos);
  EXPECT_EQ(config_failure(R"({"timeouts": {"idle_ms": -1}})").first, "/timeouts/idle_ms");
  EXPECT_EQ(config_failure(R"({"limits": {"max_body_bytes": 18446744073709551615}})").first,
            "/limits/max_body_bytes");
  EXPECT_EQ(config_failure(R"({"offload": {"queue": 0}})").first, "/offload/queue");
  EXPECT_EQ(config_failure(R"({"shutdown": {"drain_delay_ms": 86400001}})").first, "/shutdown/drain_delay_ms");
}

TEST(ServerReader, ValidateNamesTheFileAndTheKeysJsonPath) {
  ServerConfig c;
  c.threads = 5000;  // as --threads gives it, past any reader
  try {
    validate(c, "command line");
    FAIL() << "accepted 5000 threads";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.json_path(), "/threads");
    EXPECT_STREQ(e.what(), "command line: /threads: expected at most 1024 workers");
  }
}

}  // namespace
}  // namespace surge::detail
