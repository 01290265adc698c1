#include "config/middleware_reader.hpp"

#include <gtest/gtest.h>

#include "config_failure.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

TEST(MiddlewareReader, IsRecoverOnlyByDefault) {
  const MiddlewareConfig c = parse_config("{}", "test.json").middleware;
  EXPECT_TRUE(c.recover);
  EXPECT_FALSE(c.request_id);
  EXPECT_FALSE(c.cors);
  EXPECT_EQ(c, MiddlewareConfig{});
}

TEST(MiddlewareReader, ReadsEachMiddleware) {
  const MiddlewareConfig c = parse_config(R"({"middleware": {
    "recover": {"enabled": true},
    "request_id": {"enabled": true, "header": "X-Trace-Id", "max_length": 64, "trace": false,
                   "trace_response_header": ""},
    "cors": {"allowed_origins": ["https://a.example"], "allowed_methods": ["GET"], "max_age_s": 60,
             "allow_credentials": true}}})", "test.json").middleware;
  EXPECT_TRUE(c.request_id);
  EXPECT_EQ(c.request_id_config.header, "X-Trace-Id");
  EXPECT_EQ(c.request_id_config.max_length, 64u);
  EXPECT_FALSE(c.request_id_config.trace);
  EXPECT_EQ(c.request_id_config.trace_response_header, "");
  EXPECT_EQ(c.recover_config.request_id_header, "X-Trace-Id");  // recover's 500 keeps the id
  EXPECT_TRUE(c.cors);
  EXPECT_EQ(c.cors_config.allowed_origins, (std::vector<std::string>{"https://a.example"}));
  EXPECT_EQ(c.cors_config.max_age, 60u);
  EXPECT_TRUE(c.cors_config.allow_credentials);
}

TEST(MiddlewareReader, BadHeaderNamesAndListItemsNameTheirKey) {
  EXPECT_EQ(config_failure(R"({"middleware": {"request_id": {"header": ""}}})").first,
            "/middleware/request_id/header");
  EXPECT_EQ(config_failure(R"({"middleware": {"recover": {"request_id_header": "a b"}}})").first,
            "/middleware/recover/request_id_header");
  auto [path, message] =
      config_failure(R"({"middleware": {"cors": {"allowed_origins": ["https://a", "https://b, https://c"]}}})");
  EXPECT_EQ(path, "/middleware/cors/allowed_origins/1");
  EXPECT_NE(message.find("without commas"), std::string::npos) << message;
  EXPECT_EQ(config_failure(R"({"middleware": {"cors": {"allowed_origins": ["*"], "max_age_s": 604801}}})").first,
            "/middleware/cors/max_age_s");
}

TEST(MiddlewareReader, CorsNeedsAnOriginUnlessDisabled) {
  EXPECT_EQ(config_failure(R"({"middleware": {"cors": {}}})").first, "/middleware/cors/allowed_origins");
  EXPECT_EQ(config_failure(R"({"middleware": {"cors": {"enabled": false}}})").first, "");
}

}  // namespace
}  // namespace surge::detail
