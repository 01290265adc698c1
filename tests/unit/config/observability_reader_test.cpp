#include "config/observability_reader.hpp"

#include <gtest/gtest.h>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

TEST(ObservabilityReader, ReadsLogMetricsAccessLogAndBuiltins) {
  DaemonConfig c = parse_config(R"({
    "log": {"level": "debug"},
    "metrics": {"listen": "", "path": "/m", "serve_on_main_listener": false,
                "duration_buckets_s": [0.1, 1], "size_buckets_bytes": [10], "max_series_per_worker": 16},
    "access_log": {"enabled": true, "format": "json", "output": "file", "path": "/tmp/a.log",
                   "sample": 0.5, "log_all_errors": false, "queue_size": 64},
    "builtins": {"healthz": false}})", "test.json");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.metrics.listen, "");
  EXPECT_EQ(c.metrics.path, "/m");
  EXPECT_EQ(c.metrics.http.duration_buckets, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(c.access_log.format, AccessLogConfig::Format::kJson);
  EXPECT_EQ(c.access_log.output, AccessLogConfig::Output::kFile);
  EXPECT_EQ(c.access_log.sample, 0.5);
  EXPECT_EQ(c.access_log.queue_size, 64u);
  EXPECT_FALSE(c.builtins.healthz);
  EXPECT_TRUE(c.builtins.readyz);
}

TEST(ObservabilityReader, BadValuesNameTheKey) {
  EXPECT_EQ(config_failure(R"({"log": {"level": "loud"}})").first, "/log/level");
  EXPECT_EQ(config_failure(R"({"metrics": {"listen": "localhost:9464"}})").first, "/metrics/listen");
  EXPECT_EQ(config_failure(R"({"metrics": {"path": "metrics"}})").first, "/metrics/path");
  EXPECT_EQ(config_failure(R"({"metrics": {"duration_buckets_s": [1, 0.5]}})").first,
            "/metrics/duration_buckets_s/1");
  EXPECT_EQ(config_failure(R"({"access_log": {"output": "file"}})").first, "/access_log/path");
  EXPECT_EQ(config_failure(R"({"access_log": {"sample": 2}})").first, "/access_log/sample");
  EXPECT_EQ(config_failure(R"({"builtins": {"metrics": true}})").first, "/builtins/metrics");
}

}  // namespace
}  // namespace surge::detail
