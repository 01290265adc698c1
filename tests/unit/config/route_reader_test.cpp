#include "config/route_reader.hpp"

#include <gtest/gtest.h>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

std::vector<RouteConfig> routes(const std::string& list) {
  return parse_config(R"({"routes": )" + list + "}", "test.json").routes;
}

TEST(RouteReader, ReadsEveryKeyOfARoute) {
  const std::vector<RouteConfig> r = routes(R"([
    {"path": "/a/:id", "method": ["GET", "POST"], "max_body_bytes": 8, "timeout_ms": 50,
     "max_in_flight": 4, "handler": {"type": "echo"}},
    {"path": "/b", "method": "DELETE", "handler": {"type": "text", "body": "b"}}])");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].methods, (std::vector<Method>{Method::kGet, Method::kPost}));
  EXPECT_EQ(r[0].max_body_bytes, 8u);
  EXPECT_EQ(r[0].timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(r[0].max_in_flight, 4u);
  EXPECT_EQ(r[0].json_path, "/routes/0");
  EXPECT_EQ(r[1].methods, (std::vector<Method>{Method::kDelete}));
  EXPECT_EQ(r[1].json_path, "/routes/1");
  EXPECT_EQ(r[1].handler.type(), "text");
}

TEST(RouteReader, BadRoutesNameTheKey) {
  EXPECT_EQ(config_failure(R"({"routes": {}})").first, "/routes");
  EXPECT_EQ(config_failure(R"({"routes": [{"handler": {"type": "echo"}}]})").first, "/routes/0/path");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a"}]})").first, "/routes/0/handler");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a", "method": "FETCH", "handler": {"type": "echo"}}]})").first,
            "/routes/0/method");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a", "method": [], "handler": {"type": "echo"}}]})").second,
            "test.json: /routes/0/method: at least one method is required");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a", "method": [["GET"]], "handler": {"type": "echo"}}]})").first,
            "/routes/0/method");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a", "timeout_ms": -1, "handler": {"type": "echo"}}]})").first,
            "/routes/0/timeout_ms");
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/x", "handler": {"type": "echo"}, "max_in_flight": -1}]})").first,
            "/routes/0/max_in_flight");
}

TEST(RouteReader, StarIsEveryMethodAndTheUnknownOnes) {
  const std::vector<RouteConfig> r = routes(R"([{"path": "/dav/*p", "method": "*", "handler": {"type": "echo"}}])");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].methods.size(), kMethodCount);
  EXPECT_EQ(r[0].methods.back(), Method::kOther);
  // "OTHER" is a metrics label, not a method one can list.
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/a", "method": "OTHER", "handler": {"type": "echo"}}]})").first,
            "/routes/0/method");
}

TEST(RouteReader, PatternParametersAreTheNamesInOrder) {
  EXPECT_EQ(pattern_parameters("/a/:x/b/*y"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(pattern_parameters("/plain/a:b"), std::vector<std::string>{});
}

TEST(RouteReader, DefaultRoutesAreReadOnce) {
  const std::vector<RouteConfig> a = default_routes();
  EXPECT_EQ(a, default_routes());
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].handler.type(), "json");
  EXPECT_EQ(a[0].json_path, "built-in route 0");
}

}  // namespace
}  // namespace surge::detail
