#include "upstream/cluster.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

namespace surge::detail {
namespace {

UpstreamConfig config_of(std::vector<std::pair<std::string, std::uint32_t>> servers) {
  UpstreamConfig c;
  c.name = "app";
  for (auto& [address, weight] : servers) c.servers.push_back({address, weight});
  return c;
}

TEST(SplitHostPort, AcceptsNamesAddressesAndBracketedIpv6) {
  std::string host;
  std::uint16_t port = 0;
  ASSERT_TRUE(split_host_port("app-2.internal:9001", host, port));
  EXPECT_EQ(host, "app-2.internal");
  EXPECT_EQ(port, 9001);
  ASSERT_TRUE(split_host_port("[::1]:80", host, port));
  EXPECT_EQ(host, "::1");
  for (const char* bad : {"app", "app:", ":80", "app:0", "app:65536", "::1:80", "[::1]80", "app:8x"}) {
    EXPECT_FALSE(split_host_port(bad, host, port)) << bad;
  }
}

TEST(Cluster, ResolvesEveryServerAtConstruction) {
  Cluster cluster(config_of({{"127.0.0.1:9001", 1}, {"[::1]:9002", 1}}));
  ASSERT_EQ(cluster.hosts().size(), 2u);
  EXPECT_EQ(cluster.hosts()[0]->addresses()->at(0).text, "127.0.0.1:9001");
  EXPECT_EQ(cluster.hosts()[1]->addresses()->at(0).text, "[::1]:9002");
}

TEST(Cluster, ANameThatResolvesToNothingIsRefused) {
  EXPECT_THROW(Cluster(config_of({{"no-such-host.invalid:80", 1}})), std::invalid_argument);
}

// nginx's smooth weighted round robin: each host's share of a cycle is its weight, and a heavy
// host's picks are spread through the cycle instead of coming in a run.
TEST(Cluster, SpreadsPicksByWeightSmoothly) {
  Cluster cluster(config_of({{"127.0.0.1:1", 5}, {"127.0.0.1:2", 1}, {"127.0.0.1:3", 1}}));
  const std::vector<std::uint32_t>& order = cluster.tables().schedule();
  ASSERT_EQ(order.size(), 7u);
  std::map<std::uint32_t, int> picks;
  for (std::uint32_t h : order) ++picks[h];
  EXPECT_EQ(picks[0], 5);
  EXPECT_EQ(picks[1], 1);
  EXPECT_EQ(picks[2], 1);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{0, 0, 1, 0, 2, 0, 0}));  // nginx's documented sequence
}

}  // namespace
}  // namespace surge::detail
