#include "upstream/upstream_pools.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace surge::detail {
namespace {

// One worker's pool for a one-host cluster, without any connection.
struct PoolFixture {
  PoolFixture() {
    UpstreamConfig config;
    config.name = "app";
    config.servers.push_back({"127.0.0.1:9", 1});
    handle = std::make_shared<ClusterHandle>(ClusterHandle{std::make_shared<const Cluster>(config)});
  }
  boost::asio::io_context io;
  EventPoller poller{io};
  SlabPool buffers{4096, 4};
  UpstreamPools pools{poller, buffers};
  std::shared_ptr<const ClusterHandle> handle;
};

TEST(RetryBudget, RetriesInFlightStayWithinAFifthOfTheRequestsOrThree) {
  PoolFixture f;
  ClusterPool& pool = f.pools.pool(f.handle);
  const UpstreamRetry defaults;  // 20 %, at least 3
  // Few requests in flight: three retries at most, whatever the share.
  pool.count_call(2);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.retry_allowed(defaults)) << i;
    pool.count_retry(1);
  }
  EXPECT_FALSE(pool.retry_allowed(defaults));
  // Many in flight: 20 % of them.
  pool.count_call(98);  // 100 in flight
  for (int i = 3; i < 20; ++i) {
    ASSERT_TRUE(pool.retry_allowed(defaults)) << i;
    pool.count_retry(1);
  }
  EXPECT_FALSE(pool.retry_allowed(defaults));
  // A retry that ends makes room again.
  pool.count_retry(-1);
  EXPECT_TRUE(pool.retry_allowed(defaults));
  // The budget is configurable: 50 %, at least 1.
  UpstreamRetry generous;
  generous.budget_percent = 50;
  generous.budget_min = 1;
  EXPECT_TRUE(pool.retry_allowed(generous));  // 17 retries of 100 in flight: under 50
}

TEST(HostStatsRegistry, OneEntryPerUpstreamAndHostKeptAcrossPools) {
  HostStatsRegistry registry;
  HostStats& a = registry.entry("app", "10.0.0.1:80");
  a.requests.add(5);
  HostStats& again = registry.entry("app", "10.0.0.1:80");
  EXPECT_EQ(&a, &again);
  EXPECT_EQ(again.requests.value(), 5u);
  HostStats& other = registry.entry("app", "10.0.0.2:80");
  EXPECT_NE(&a, &other);
  int seen = 0;
  registry.for_each([&](const HostStats&) { ++seen; });
  EXPECT_EQ(seen, 2);
}

TEST(LatencyHistogram, CountsEachObservationInTheFirstBucketItFits) {
  LatencyHistogram h;
  h.observe(std::chrono::microseconds(100));  // exactly the first bound: le="0.0001"
  h.observe(std::chrono::microseconds(101));
  h.observe(std::chrono::seconds(11));        // above every bound
  EXPECT_EQ(h.buckets()[0].value(), 1u);
  EXPECT_EQ(h.buckets()[1].value(), 1u);
  EXPECT_EQ(h.buckets().back().value(), 1u);
  EXPECT_EQ(h.sum_ns(), 100'000u + 101'000u + 11'000'000'000u);
}

}  // namespace
}  // namespace surge::detail
