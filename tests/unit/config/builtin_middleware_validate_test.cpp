#include <surge/builtin_middleware.hpp>

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config_failure.hpp"

namespace surge {
namespace {

using test::refused_field;

TEST(BuiltinMiddlewareValidate, TheDefaultsAreValid) {
  EXPECT_EQ(refused_field(RecoverConfig{}), "");
  EXPECT_EQ(refused_field(RequestIdConfig{}), "");
  EXPECT_EQ(refused_field(CorsConfig{}), "");
}

TEST(BuiltinMiddlewareValidate, HeaderNamesMustBeTokens) {
  EXPECT_EQ(refused_field(RecoverConfig{"X Id"}), "request_id_header");
  EXPECT_EQ(refused_field(RecoverConfig{""}), "");
  RequestIdConfig r;
  r.header = "";
  EXPECT_EQ(refused_field(r), "header");
  r = {};
  r.trace_response_header = "trace:parent";
  EXPECT_EQ(refused_field(r), "trace_response_header");
  r = {};
  r.max_length = 0;
  EXPECT_EQ(refused_field(r), "max_length");
}

TEST(BuiltinMiddlewareValidate, CorsListItemsAreSingleValues) {
  CorsConfig c;
  c.allowed_origins = {"https://a.example", ""};
  EXPECT_EQ(refused_field(c), "allowed_origins/1");
  c = {};
  c.exposed_headers = {"X-A, X-B"};
  EXPECT_EQ(refused_field(c), "exposed_headers/0");
  c = {};
  c.max_age = 7 * 24 * 3600 + 1;
  EXPECT_EQ(refused_field(c), "max_age_s");
}

}  // namespace
}  // namespace surge
