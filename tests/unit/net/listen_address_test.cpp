#include "net/listen_address.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(ListenAddress, ParsesIpv4AndIpv6) {
  std::string error;
  auto v4 = parse_listen_address("127.0.0.1:8080", error);
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->ip, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_FALSE(v4->v6);
  auto v6 = parse_listen_address("[::1]:0", error);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->ip, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_TRUE(v6->v6);
}

TEST(ListenAddress, RejectsWhatCannotBeBound) {
  for (const char* bad : {"localhost:80", "8080", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:x",
                          "::1:80", "[::1]80", "[nope]:80", ""}) {
    std::string error;
    EXPECT_FALSE(parse_listen_address(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace surge::detail
