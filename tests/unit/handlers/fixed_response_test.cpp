#include "handlers/fixed_response.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "handlers/echo.hpp"
#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;

TEST(FixedResponse, AnswersWithItsStatusTypeHeadersAndBody) {
  FixedResponse handler(201, "text/plain; charset=utf-8", {{"X-A", "1"}, {"Cache-Control", "no-store"}},
                        BodyTemplate("created", {}, BodyTemplate::Escape::kNone));
  FakeExchange ex(test::request("GET", "/x"));
  handler(ex.ctx());
  EXPECT_EQ(ex.status(), 201);
  EXPECT_EQ(ex.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(ex.header("X-A"), "1");
  EXPECT_EQ(ex.header("Cache-Control"), "no-store");
  EXPECT_EQ(ex.body(), "created");
}

TEST(FixedResponse, RendersItsTemplateFromTheRouteParameters) {
  FixedResponse handler(200, "application/json", {},
                        BodyTemplate(R"({"id":"{id}"})", {"id"}, BodyTemplate::Escape::kJson));
  FakeExchange ex(test::request("GET", "/users/5"));
  ex.exchange().add_param("id", "5");
  handler(ex.ctx());
  EXPECT_EQ(ex.body(), R"({"id":"5"})");
}

TEST(Echo, AnswersWithTheRequestAsJson) {
  FakeExchange ex(test::request("POST", "/echo?q=1", "X-Test: yes\r\n", "payload"));
  echo_request(ex.ctx());
  EXPECT_EQ(ex.status(), 200);
  auto json = nlohmann::json::parse(ex.body());
  EXPECT_EQ(json["method"], "POST");
  EXPECT_EQ(json["path"], "/echo");
  EXPECT_EQ(json["query"], "q=1");
  EXPECT_EQ(json["version"], "HTTP/1.1");
  EXPECT_EQ(json["body"], "payload");
  EXPECT_EQ(json["headers"][1], (nlohmann::json{"X-Test", "yes"}));
}

TEST(Echo, ReplacesInvalidUtf8InsteadOfFailing) {
  FakeExchange ex(test::request("POST", "/echo", "", "\xFF\xFE"));
  echo_request(ex.ctx());
  EXPECT_EQ(ex.status(), 200);
  EXPECT_EQ(nlohmann::json::parse(ex.body())["body"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace surge::detail
