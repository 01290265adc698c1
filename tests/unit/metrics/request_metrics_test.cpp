#include "metrics/request_metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "http/exchange.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

// Records what a collector reports, by "name{labels}".
class RecordingSink final : public MetricSink {
 public:
  void counter(std::string_view name, std::string_view, std::initializer_list<MetricLabel> labels,
               double value) override {
    values[key(name, labels)] = value;
  }
  void gauge(std::string_view name, std::string_view, std::initializer_list<MetricLabel> labels,
             double value) override {
    values[key(name, labels)] = value;
  }
  void histogram(std::string_view name, std::string_view, std::initializer_list<MetricLabel> labels,
                 std::span<const double>, std::span<const std::uint64_t> counts, double sum) override {
    std::vector<std::uint64_t> c(counts.begin(), counts.end());
    buckets[key(name, labels)] = c;
    sums[key(name, labels)] = sum;
  }
  static std::string key(std::string_view name, std::initializer_list<MetricLabel> labels) {
    std::string k(name);
    k += "{";
    for (const auto& l : labels) k += std::string(l.name) + "=" + std::string(l.value) + ",";
    return k + "}";
  }
  std::map<std::string, double> values;
  std::map<std::string, std::vector<std::uint64_t>> buckets;
  std::map<std::string, double> sums;
};

// A completed request on route `route` (or none), answered `status` after `duration`.
void observe(RequestMetrics& metrics, std::size_t worker, const std::string& method, int status,
             std::uint32_t route, Clock::duration duration, std::uint64_t bytes) {
  test::FakeExchange ex(test::request(method, "/x"));
  if (route != RouteMatch::kNoRoute) ex.exchange().route().index = route;
  Clock::time_point start{};
  metrics.on_request({ex.exchange(), worker, status, bytes, 100, start, start + duration, RequestError::kNone});
}

HttpMetricsConfig small_config() {
  HttpMetricsConfig c;
  c.duration_buckets = {0.001, 0.01, 0.1};
  c.size_buckets = {100, 1000};
  c.max_series_per_worker = 16;
  return c;
}

TEST(RequestMetrics, CountsRequestsByMethodRouteAndCodeAcrossWorkers) {
  RequestMetrics metrics(small_config(), {"/users/:id", "/plaintext"}, 2);
  observe(metrics, 0, "GET", 200, 0, 1ms, 10);
  observe(metrics, 1, "GET", 200, 0, 1ms, 10);
  observe(metrics, 1, "POST", 201, 0, 1ms, 10);
  observe(metrics, 0, "GET", 404, RouteMatch::kNoRoute, 1ms, 10);
  RecordingSink sink;
  metrics.collect(sink);
  EXPECT_EQ(sink.values["http_requests_total{method=GET,route=/users/:id,code=200,}"], 2);
  EXPECT_EQ(sink.values["http_requests_total{method=POST,route=/users/:id,code=201,}"], 1);
  EXPECT_EQ(sink.values["http_requests_total{method=GET,route=unmatched,code=404,}"], 1);
  EXPECT_EQ(sink.values.count("http_requests_total{method=GET,route=/plaintext,code=200,}"), 0u);
}

TEST(RequestMetrics, FillsLatencyAndSizeHistogramsPerRoute) {
  RequestMetrics metrics(small_config(), {"/a"}, 1);
  observe(metrics, 0, "GET", 200, 0, 500us, 50);     // first buckets
  observe(metrics, 0, "GET", 200, 0, 5ms, 500);      // second
  observe(metrics, 0, "GET", 200, 0, 2s, 5000);      // above every bound
  RecordingSink sink;
  metrics.collect(sink);
  EXPECT_EQ(sink.buckets["http_request_duration_seconds{route=/a,}"], (std::vector<std::uint64_t>{1, 1, 0, 1}));
  EXPECT_NEAR(sink.sums["http_request_duration_seconds{route=/a,}"], 2.0055, 1e-9);
  EXPECT_EQ(sink.buckets["http_response_size_bytes{route=/a,}"], (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(sink.sums["http_response_size_bytes{route=/a,}"], 5550);
  EXPECT_EQ(sink.buckets.count("http_request_duration_seconds{route=unmatched,}"), 0u);  // never used
}

TEST(RequestMetrics, RefusalsBeforeTheMethodWasReadCountAsUnknown) {
  RequestMetrics metrics(small_config(), {}, 1);
  detail::ParserLimits limits;
  Exchange exchange(limits, nullptr);
  exchange.begin(nullptr, nullptr, 0);  // nothing parsed: no method
  metrics.on_request({exchange, 0, 400, 120, 5, {}, {}, RequestError::kBadMethod});
  RecordingSink sink;
  metrics.collect(sink);
  EXPECT_EQ(sink.values["http_requests_total{method=UNKNOWN,route=unmatched,code=400,}"], 1);
}

// Clients choose method tokens: every one surge does not implement shares one label.
TEST(RequestMetrics, UnknownMethodsShareTheOtherLabel) {
  RequestMetrics metrics(small_config(), {"/dav/*p"}, 1);
  for (const char* method : {"PROPFIND", "PURGE", "MKCOL", "X-RANDOM-1", "X-RANDOM-2"}) {
    observe(metrics, 0, method, 200, 0, 1ms, 10);
  }
  observe(metrics, 0, "BREW", 501, RouteMatch::kNoRoute, 1ms, 10);
  RecordingSink sink;
  metrics.collect(sink);
  EXPECT_EQ(sink.values["http_requests_total{method=OTHER,route=/dav/*p,code=200,}"], 5);
  EXPECT_EQ(sink.values["http_requests_total{method=OTHER,route=unmatched,code=501,}"], 1);
  EXPECT_EQ(sink.values.size(), 3u);  // and the overflow counter
}

TEST(RequestMetrics, SeriesBeyondTheBoundAreCountedAsOverflow) {
  RequestMetrics metrics(small_config(), {"/a"}, 1);  // 16 series per worker
  for (int code = 200; code < 240; ++code) observe(metrics, 0, "GET", code, 0, 1ms, 1);
  RecordingSink sink;
  metrics.collect(sink);
  double counted = 0;
  for (const auto& [k, v] : sink.values) {
    if (k.rfind("http_requests_total", 0) == 0) counted += v;
  }
  EXPECT_EQ(counted, 16);
  EXPECT_EQ(sink.values["surge_metrics_series_overflow_total{}"], 24);
}

}  // namespace
}  // namespace surge::detail
