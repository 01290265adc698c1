// The "text" handler kind (src/config/handlers/text_kind.cpp): read from a route, served.

#include <gtest/gtest.h>

#include "kind_fixture.hpp"

namespace surge::test {
namespace {

TEST(TextKind, ServesItsTemplateWithStatusTypeAndHeaders) {
  const detail::RouteConfig route = read_route("/hello/:name", R"({"type": "text", "status": 201,
    "body": "Hello, {name}! {{literal}}", "content_type": "text/x-greeting",
    "headers": {"X-Kind": "greeting"}})");
  EXPECT_EQ(route.handler.type(), "text");
  FakeExchange ex(request("GET", "/hello/Ann"));
  serve(route, ex, {{"name", "Ann"}});
  EXPECT_EQ(ex.status(), 201);
  EXPECT_EQ(ex.content_type(), "text/x-greeting");
  EXPECT_EQ(ex.header("X-Kind"), "greeting");
  EXPECT_EQ(ex.body(), "Hello, Ann! {literal}");
}

TEST(TextKind, DefaultsToA200PlainTextAnswer) {
  FakeExchange ex(request("GET", "/a"));
  serve(read_route("/a", R"({"type": "text", "body": "a"})"), ex);
  EXPECT_EQ(ex.status(), 200);
  EXPECT_EQ(ex.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(ex.body(), "a");
}

TEST(TextKind, APlaceholderMustBeAParameterOfTheRoute) {
  auto [path, message] = route_failure("/a/:x", R"({"type": "text", "body": "{x} {nope}"})");
  EXPECT_EQ(path, "/routes/0/handler/body");
  EXPECT_NE(message.find("{nope} is not a parameter of /a/:x"), std::string::npos) << message;
  EXPECT_EQ(route_failure("/a/:x", R"({"type": "text", "body": "{{nope}} { } {x}"})").first, "");
}

TEST(TextKind, RefusesControlCharactersInTheContentType) {
  EXPECT_EQ(route_failure("/a", R"({"type": "text", "content_type": "text/plain\r\nX: 1"})").first,
            "/routes/0/handler/content_type");
  EXPECT_EQ(route_failure("/a", R"({"type": "text", "bdy": "x"})").first, "/routes/0/handler/bdy");
}

TEST(TextKind, ConfigsCompareByValue) {
  const detail::RouteConfig a = read_route("/a", R"({"type": "text", "body": "a"})");
  EXPECT_EQ(a.handler, read_route("/a", R"({"type": "text", "body": "a"})").handler);
  EXPECT_NE(a.handler, read_route("/a", R"({"type": "text", "body": "b"})").handler);
  EXPECT_NE(a.handler, read_route("/a", R"({"type": "text", "body": "a", "status": 202})").handler);
}

}  // namespace
}  // namespace surge::test
