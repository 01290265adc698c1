#include "upstream/resolver.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace surge::detail {
namespace {

// The addresses of a name come back after they were lost, on the resolver's thread: here the
// test empties them by hand, as a lookup that found nothing would.
TEST(Resolver, ResolvesAClustersNamesAgainPeriodically) {
  UpstreamConfig c;
  c.name = "local";
  c.servers.push_back({"localhost:8080", 1});
  c.resolve_every = std::chrono::milliseconds(10);
  auto cluster = std::make_shared<Cluster>(c);
  Resolver resolver;
  cluster->hosts()[0]->set_addresses(std::make_shared<const std::vector<HostAddress>>());
  resolver.add(cluster);
  for (int i = 0; i < 500 && cluster->hosts()[0]->addresses()->empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(cluster->hosts()[0]->addresses()->empty());
  EXPECT_GE(resolver.rounds(), 1u);
}

TEST(Resolver, ForgetsAClusterNoOneHolds) {
  UpstreamConfig c;
  c.name = "gone";
  c.servers.push_back({"127.0.0.1:8080", 1});
  c.resolve_every = std::chrono::milliseconds(1);
  Resolver resolver;
  std::weak_ptr<Cluster> weak;
  {
    auto cluster = std::make_shared<Cluster>(c);
    weak = cluster;
    resolver.add(cluster);
  }
  EXPECT_TRUE(weak.expired());  // the resolver holds it weakly: a reload's old cluster goes
}

TEST(Resolver, ResolveEveryZeroMeansNever) {
  UpstreamConfig c;
  c.name = "static";
  c.servers.push_back({"127.0.0.1:8080", 1});
  c.resolve_every = std::chrono::milliseconds(0);
  auto cluster = std::make_shared<Cluster>(c);
  Resolver resolver;
  resolver.add(cluster);
  cluster->hosts()[0]->set_addresses(std::make_shared<const std::vector<HostAddress>>());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(cluster->hosts()[0]->addresses()->empty());
}

}  // namespace
}  // namespace surge::detail
