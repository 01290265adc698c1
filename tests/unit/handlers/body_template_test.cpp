#include "handlers/body_template.hpp"

#include <gtest/gtest.h>

#include "support/fake_exchange.hpp"

namespace surge::detail {
namespace {

using test::FakeExchange;

// Renders tpl for a request whose route bound params.
std::string render(const BodyTemplate& tpl, std::initializer_list<std::pair<std::string_view, std::string_view>> params) {
  FakeExchange ex(test::request("GET", "/x"));
  for (const auto& [name, value] : params) ex.exchange().add_param(name, value);
  tpl.render(ex.ctx());
  return std::string(ex.body());
}

TEST(BodyTemplate, ReplacesParametersInText) {
  BodyTemplate tpl("Hello, {name}! You are user {id}.", {"id", "name"}, BodyTemplate::Escape::kNone);
  EXPECT_FALSE(tpl.is_static());
  EXPECT_EQ(render(tpl, {{"id", "7"}, {"name", "Ada"}}), "Hello, Ada! You are user 7.");
}

TEST(BodyTemplate, DoubledBracesAreLiteralInText) {
  BodyTemplate tpl("{{id}} is {id}; }} and {{ stay", {"id"}, BodyTemplate::Escape::kNone);
  EXPECT_EQ(render(tpl, {{"id", "1"}}), "{id} is 1; } and { stay");
}

TEST(BodyTemplate, KeepsBracesAroundNonIdentifiers) {
  BodyTemplate tpl("{ } {a-b} {} {", {"id"}, BodyTemplate::Escape::kNone);
  EXPECT_TRUE(tpl.is_static());
  EXPECT_EQ(tpl.text(), "{ } {a-b} {} {");
}

TEST(BodyTemplate, JsonBodiesKeepTheirBraces) {
  BodyTemplate tpl(R"({"a":{"b":{"id":"{id}"}}})", {"id"}, BodyTemplate::Escape::kJson);
  EXPECT_EQ(render(tpl, {{"id", "9"}}), R"({"a":{"b":{"id":"9"}}})");
}

TEST(BodyTemplate, RejectsPlaceholdersThatAreNotParameters) {
  EXPECT_THROW(BodyTemplate("{nope}", {"id"}, BodyTemplate::Escape::kNone), std::invalid_argument);
}

TEST(BodyTemplate, EscapesValuesForJsonStrings) {
  BodyTemplate tpl(R"({"v":"{v}"})", {"v"}, BodyTemplate::Escape::kJson);
  EXPECT_EQ(render(tpl, {{"v", "a\"b\\c"}}), R"({"v":"a\"b\\c"})");
  EXPECT_EQ(render(tpl, {{"v", "line\nbreak\ttab\x01"}}), R"({"v":"line\nbreak\ttab\u0001"})");
  EXPECT_EQ(render(tpl, {{"v", "J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80"}}),
            "{\"v\":\"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80\"}");  // valid UTF-8 passes through
  EXPECT_EQ(render(tpl, {{"v", "bad\xFF\xC3"}}), R"({"v":"bad\ufffd\ufffd"})");
  EXPECT_EQ(render(tpl, {{"v", "\xED\xA0\x80"}}), R"({"v":"\ufffd\ufffd\ufffd"})");  // a surrogate
  EXPECT_EQ(render(tpl, {{"v", "\xC0\xAF"}}), R"({"v":"\ufffd\ufffd"})");            // overlong
}

// Found by fuzz_body_template and fuzz_router: a byte from 0xF5 up followed by two continuation
// bytes passed as a 3-byte sequence, so a JSON answer carried invalid UTF-8 (clients' parsers
// refuse it).
TEST(BodyTemplate, LeadBytesAboveF4AreInvalidUtf8InJson) {
  BodyTemplate tpl(R"({"v":"{v}"})", {"v"}, BodyTemplate::Escape::kJson);
  EXPECT_EQ(render(tpl, {{"v", "\xF5\x87\x87"}}), R"({"v":"\ufffd\ufffd\ufffd"})");
  EXPECT_EQ(render(tpl, {{"v", "a\xF9\xB9\xB9" "b"}}), R"({"v":"a\ufffd\ufffd\ufffdb"})");
  EXPECT_EQ(render(tpl, {{"v", "\xFF\xBF\xBF\xBF"}}), R"({"v":"\ufffd\ufffd\ufffd\ufffd"})");
  // U+10FFFF, the last code point, stays.
  EXPECT_EQ(render(tpl, {{"v", "\xF4\x8F\xBF\xBF"}}), "{\"v\":\"\xF4\x8F\xBF\xBF\"}");
}

TEST(BodyTemplate, AMissingParameterRendersEmpty) {
  BodyTemplate tpl("[{id}]", {"id"}, BodyTemplate::Escape::kNone);
  EXPECT_EQ(render(tpl, {}), "[]");
}

}  // namespace
}  // namespace surge::detail
