// The "echo" handler kind (src/config/handlers/echo_kind.cpp).

#include <gtest/gtest.h>

#include "kind_fixture.hpp"

namespace surge::test {
namespace {

TEST(EchoKind, AnswersWithTheRequest) {
  const detail::RouteConfig route = read_route("/echo", R"({"type": "echo"})");
  EXPECT_EQ(route.handler.type(), "echo");
  FakeExchange ex(request("POST", "/echo", "", "payload"));
  serve(route, ex);
  EXPECT_EQ(ex.status(), 200);
  EXPECT_NE(ex.body().find("\"body\":\"payload\""), std::string::npos) << ex.body();
}

TEST(EchoKind, HasNoKeysOfItsOwn) {
  EXPECT_EQ(route_failure("/echo", R"({"type": "echo", "body": "x"})").first, "/routes/0/handler/body");
  EXPECT_EQ(read_route("/a", R"({"type": "echo"})").handler, read_route("/b", R"({"type": "echo"})").handler);
}

}  // namespace
}  // namespace surge::test
