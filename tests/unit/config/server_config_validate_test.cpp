#include <surge/config.hpp>

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config_failure.hpp"

namespace surge {
namespace {

using test::refused_field;

TEST(ServerConfigValidate, TheDefaultsAreValid) { EXPECT_EQ(refused_field(ServerConfig{}), ""); }

TEST(ServerConfigValidate, NamesTheKeyOfEachRule) {
  ServerConfig c;
  c.listen = {};
  EXPECT_EQ(refused_field(c), "listen");
  c = {};
  c.listen = {"0.0.0.0:80", "localhost:80"};
  EXPECT_EQ(refused_field(c), "listen/1");
  c = {};
  c.threads = 1025;
  EXPECT_EQ(refused_field(c), "threads");
  c = {};
  c.limits.max_request_line_bytes = 9000;
  c.limits.max_header_bytes = 8000;
  EXPECT_EQ(refused_field(c), "limits/max_request_line_bytes");
  c = {};
  c.server_header = "a\nb";
  EXPECT_EQ(refused_field(c), "server_header");
  c = {};
  c.limits.max_header_count = 0;
  EXPECT_EQ(refused_field(c), "limits/max_header_count");
  c = {};
  c.timeouts.idle = std::chrono::milliseconds(0);
  EXPECT_EQ(refused_field(c), "timeouts/idle_ms");
  c = {};
  c.pools.buffer_bytes = 100;
  EXPECT_EQ(refused_field(c), "pools/buffer_bytes");
  c = {};
  c.offload.queue = 0;
  EXPECT_EQ(refused_field(c), "offload/queue");
  c = {};
  c.shutdown.timeout = std::chrono::milliseconds(-1);
  EXPECT_EQ(refused_field(c), "shutdown/timeout_ms");
}

}  // namespace
}  // namespace surge
