// The proxy's metrics per upstream and host, as the exporter reads them from a running server:
// requests, reuse, response classes, errors by reason, connections, and the three latency
// histograms.
#include <gtest/gtest.h>


#include <map>
#include <memory>
#include <numeric>
#include <string>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "metrics/metric_sink.hpp"
#include "server/server_hooks.hpp"
#include "support/raw_client.hpp"
#include "support/refusing_port.hpp"
#include "support/scripted_upstream.hpp"
#include "support/test_server.hpp"

namespace surge::test {
namespace {

// Every sample as "name{label=value,...}" -> value; a histogram as its count (and _sum).
class RecordingSink final : public detail::MetricSink {
 public:
  void counter(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
               double value) override {
    samples[key(name, labels)] = value;
  }
  void gauge(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
             double value) override {
    samples[key(name, labels)] = value;
  }
  void histogram(std::string_view name, std::string_view, std::initializer_list<detail::MetricLabel> labels,
                 std::span<const double>, std::span<const std::uint64_t> buckets, double sum) override {
    samples[key(std::string(name) + "_count", labels)] =
        static_cast<double>(std::accumulate(buckets.begin(), buckets.end(), std::uint64_t{0}));
    samples[key(std::string(name) + "_sum", labels)] = sum;
  }
  double at(const std::string& k) const {
    auto it = samples.find(k);
    return it == samples.end() ? -1 : it->second;
  }
  std::map<std::string, double> samples;

 private:
  static std::string key(std::string_view name, std::initializer_list<detail::MetricLabel> labels) {
    std::string k(name);
    k += "{";
    for (const auto& l : labels) k += std::string(l.name) + "=" + std::string(l.value) + ",";
    return k + "}";
  }
};

TEST(ProxyMetrics, PerUpstreamAndHostCountersAndLatencyHistograms) {
  ScriptedUpstream upstream([](const UpstreamRequest& r) {
    if (r.request_line().find("/bad") != std::string::npos) {
      return UpstreamReply{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"};
    }
    return ok("fine");
  });
  RefusingPort closed;
  const std::string up = "127.0.0.1:" + std::to_string(upstream.port());
  const std::string down = "127.0.0.1:" + std::to_string(closed.port());
  const detail::DaemonConfig config = detail::parse_config(
      R"({"upstreams": {"app": {"servers": [{"address": ")" + up + R"("}]},
                        "gone": {"servers": [{"address": ")" + down + R"("}]}},
          "routes": [{"path": "/app/*rest", "method": "GET", "handler": {"type": "proxy", "upstream": "app"}},
                     {"path": "/gone", "method": "GET", "handler": {"type": "proxy", "upstream": "gone"}}]})",
      "test.json");
  TestServer proxy(test_config(),
                   detail::build_router(config, "test.json", std::make_shared<detail::Readiness>(), nullptr));
  RawClient client(proxy.port());
  for (const char* target : {"/app/1", "/app/2", "/app/bad", "/app/3"}) {
    ASSERT_TRUE(client.send(get(target)));
    ASSERT_TRUE(client.read_response());
  }
  auto refused = fetch(proxy.port(), get("/gone"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 502);

  RecordingSink sink;
  detail::ServerHooks::collect_metrics(proxy.server(), sink);
  const std::string app = "upstream=app,host=" + up + ",";
  const std::string gone = "upstream=gone,host=" + down + ",";
  EXPECT_EQ(sink.at("surge_upstream_host_requests_total{" + app + "}"), 4);
  // One connection, reused by the three requests after the first.
  EXPECT_EQ(sink.at("surge_upstream_host_requests_reused_total{" + app + "}"), 3);
  EXPECT_EQ(sink.at("surge_upstream_host_responses_total{" + app + "code=2xx,}"), 3);
  EXPECT_EQ(sink.at("surge_upstream_host_responses_total{" + app + "code=5xx,}"), 1);
  EXPECT_EQ(sink.at("surge_upstream_host_errors_total{" + app + "reason=reset,}"), 0);
  EXPECT_EQ(sink.at("surge_upstream_host_connections{" + app + "state=idle,}"), 1);
  EXPECT_EQ(sink.at("surge_upstream_host_connections{" + app + "state=active,}"), 0);
  EXPECT_EQ(sink.at("surge_upstream_connect_duration_seconds_count{" + app + "}"), 1);
  EXPECT_EQ(sink.at("surge_upstream_header_duration_seconds_count{" + app + "}"), 4);
  EXPECT_EQ(sink.at("surge_upstream_response_duration_seconds_count{" + app + "}"), 4);
  EXPECT_GT(sink.at("surge_upstream_response_duration_seconds_sum{" + app + "}"), 0);

  EXPECT_EQ(sink.at("surge_upstream_host_errors_total{" + gone + "reason=connect_failure,}"), 1);
  EXPECT_EQ(sink.at("surge_upstream_host_responses_total{" + gone + "code=5xx,}"), 0);
  EXPECT_EQ(sink.at("surge_upstream_header_duration_seconds_count{" + gone + "}"), 0);

  // The totals over every upstream and host are still there, unlabelled.
  EXPECT_EQ(sink.at("surge_upstream_requests_total{}"),
            sink.at("surge_upstream_host_requests_total{" + app + "}") +
                sink.at("surge_upstream_host_requests_total{" + gone + "}"));
  EXPECT_EQ(sink.at("surge_upstream_requests_reused_total{}"), 3);
}

}  // namespace
}  // namespace surge::test
