// The "json" handler kind (src/config/handlers/json_kind.cpp): read from a route, served.

#include <gtest/gtest.h>

#include "kind_fixture.hpp"

namespace surge::test {
namespace {

TEST(JsonKind, ServesItsBodyWithParametersEscapedInsideStrings) {
  const detail::RouteConfig route = read_route("/users/:id", R"({"type": "json", "status": 201,
    "body": {"id": "{id}", "tags": ["user-{id}"], "n": 1}, "headers": {"Cache-Control": "no-store"}})");
  EXPECT_EQ(route.handler.type(), "json");
  FakeExchange ex(request("GET", "/users/x"));
  serve(route, ex, {{"id", "a\"b"}});
  EXPECT_EQ(ex.status(), 201);
  EXPECT_EQ(ex.content_type(), "application/json");
  EXPECT_EQ(ex.header("Cache-Control"), "no-store");
  EXPECT_EQ(ex.body(), R"({"id":"a\"b","n":1,"tags":["user-a\"b"]})");
}

TEST(JsonKind, WithoutABodyAnswersNull) {
  FakeExchange ex(request("GET", "/n"));
  serve(read_route("/n", R"({"type": "json"})"), ex);
  EXPECT_EQ(ex.body(), "null");
}

TEST(JsonKind, APlaceholderMustBeAParameterOfTheRoute) {
  auto [path, message] = route_failure("/users/:id", R"({"type": "json", "body": {"x": ["{name}"]}})");
  EXPECT_EQ(path, "/routes/0/handler/body");
  EXPECT_NE(message.find("{name} is not a parameter of /users/:id"), std::string::npos) << message;
}

TEST(JsonKind, HeadersTheServerWritesAreRefused) {
  auto [path, message] = route_failure("/j", R"({"type": "json", "headers": {"Content-Length": "1"}})");
  EXPECT_EQ(path, "/routes/0/handler/headers/Content-Length");
  EXPECT_NE(message.find("set by the server"), std::string::npos) << message;
}

}  // namespace
}  // namespace surge::test
