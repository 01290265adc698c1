#include "metrics/prometheus_collector.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "metrics/process_metrics.hpp"

namespace surge::detail {
namespace {

TEST(PrometheusCollector, GroupsSamplesIntoFamiliesInTheTextFormat) {
  PrometheusCollector collector;
  collector.add_source([](MetricSink& sink) {
    sink.counter("jobs_total", "Jobs.", {{"kind", "a"}}, 3);
    sink.gauge("queue_depth", "Depth.", {}, 7);
    sink.counter("jobs_total", "Jobs.", {{"kind", "b"}}, 4);
    const double bounds[] = {0.1, 1};
    const std::uint64_t counts[] = {2, 3, 1};
    sink.histogram("latency_seconds", "Latency.", {{"route", "/x"}}, bounds, counts, 4.5);
  });
  auto families = collector.Collect();
  ASSERT_EQ(families.size(), 3u);
  EXPECT_EQ(families[0].name, "jobs_total");
  EXPECT_EQ(families[0].metric.size(), 2u);
  std::string text = collector.serialize();
  EXPECT_NE(text.find("# TYPE jobs_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("jobs_total{kind=\"b\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"1\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 6\n"), std::string::npos) << text;
}

// Two sources reporting the same series (request metrics kept across a reload that changed the
// routes) give one sample with the sum, never a duplicate series.
TEST(PrometheusCollector, SumsTheSameSeriesFromSeveralSources) {
  PrometheusCollector collector;
  const double bounds[] = {0.1, 1};
  for (std::uint64_t n : {1u, 2u}) {
    collector.add_source([&bounds, n](MetricSink& sink) {
      sink.counter("jobs_total", "Jobs.", {{"kind", "a"}}, static_cast<double>(n));
      sink.counter("jobs_total", "Jobs.", {{"kind", n == 1 ? "b" : "c"}}, 10);
      const std::uint64_t counts[] = {n, n, n};
      sink.histogram("latency_seconds", "Latency.", {{"route", "/x"}}, bounds, counts, 0.5);
    });
  }
  auto families = collector.Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].metric.size(), 3u);  // kind a (summed), b, c
  std::string text = collector.serialize();
  EXPECT_NE(text.find("jobs_total{kind=\"a\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 9\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 9\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_sum{route=\"/x\"} 1\n"), std::string::npos) << text;
}

TEST(PrometheusCollector, ASourceSetUnderAKeyReplacesTheOneBefore) {
  PrometheusCollector collector;
  auto first = std::make_shared<int>(1);
  std::weak_ptr<int> watch = first;
  collector.set_source("k", [first = std::move(first)](MetricSink& sink) { sink.gauge("g", "G.", {}, *first); });
  collector.set_source("k", [](MetricSink& sink) { sink.gauge("g", "G.", {}, 2); });
  EXPECT_TRUE(watch.expired());
  auto families = collector.Collect();
  ASSERT_EQ(families.size(), 1u);
  ASSERT_EQ(families[0].metric.size(), 1u);
  EXPECT_EQ(families[0].metric[0].gauge.value, 2);
}

TEST(ProcessMetrics, ReportsTheStandardProcessMetrics) {
  PrometheusCollector collector;
  auto process = std::make_shared<ProcessMetrics>();
  collector.add_source([process](MetricSink& sink) { process->collect(sink); });
  std::string text = collector.serialize();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    EXPECT_NE(text.find(std::string(name) + " "), std::string::npos) << name << "\n" << text;
  }
}

}  // namespace
}  // namespace surge::detail
