#include "config/handler_kind.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "config/handlers/builtin_kinds.hpp"
#include "config/object_reader.hpp"
#include "config_failure.hpp"
#include "handlers/kind_fixture.hpp"

namespace surge::detail {
namespace {

using test::config_failure;

// A kind only this test knows: it names one of the "rate_limits" and answers with its rate, as the
// proxy kind will name one of the "upstreams".
struct NoteConfig {
  std::string limit;
  std::uint32_t rate = 0;

  bool operator==(const NoteConfig&) const = default;
};

NoteConfig read_note(ObjectReader& handler, const HandlerReadContext& route) {
  NoteConfig c;
  handler.string("limit", c.limit);
  for (const RateLimitConfig& limit : route.config.rate_limits) {
    if (limit.name == c.limit) c.rate = limit.rate;
  }
  if (c.rate == 0) handler.fail("limit", "no rate limit \"" + c.limit + "\" in \"rate_limits\"");
  return c;
}

Handler make_note(const NoteConfig& c, const HandlerBuildContext& route) {
  return [text = c.limit + ": " + std::to_string(c.rate) + " on " + std::string(route.pattern)](Context& ctx) {
    ctx.text(200, text);
  };
}

HandlerKinds with_note() {
  HandlerKinds kinds = builtin_handler_kinds();
  kinds.push_back(handler_kind<NoteConfig>("note", read_note, make_note));
  return kinds;
}

TEST(HandlerKind, AnUnknownTypeListsTheKnownOnes) {
  auto [path, message] = config_failure(R"({"routes": [{"path": "/p", "handler": {"type": "grpc"}}]})",
                                 builtin_handler_kinds());
  EXPECT_EQ(path, "/routes/0/handler/type");
  EXPECT_NE(message.find("\"grpc\" is not one of text, json, echo, files, proxy"), std::string::npos) << message;
  auto [missing_path, missing] = config_failure(R"({"routes": [{"path": "/p", "handler": {}}]})", builtin_handler_kinds());
  EXPECT_EQ(missing_path, "/routes/0/handler/type");
  EXPECT_NE(missing.find("required: text, json, echo, files or proxy"), std::string::npos) << missing;
  EXPECT_NE(config_failure(R"({"routes": [{"path": "/p", "handler": {"type": "grpc"}}]})", with_note())
                .second.find("is not one of text, json, echo, files, proxy, note"),
            std::string::npos);
}

TEST(HandlerKind, AKindInATableIsReadAndBuiltLookingUpAnotherSection) {
  // "routes" before "rate_limits" in the file: sections are read before routes whatever the order.
  const DaemonConfig config = parse_config(R"({
    "routes": [{"path": "/note", "handler": {"type": "note", "limit": "api"}}],
    "rate_limits": {"api": {"rate": 7}}})", "test.json", with_note());
  const RouteConfig& route = config.routes.at(0);
  EXPECT_EQ(route.handler.type(), "note");
  const auto* note = route.handler.as<ConfiguredHandler<NoteConfig>>();
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->config(), (NoteConfig{"api", 7}));
  test::FakeExchange ex(test::request("GET", "/note"));
  test::serve(route, ex);
  EXPECT_EQ(ex.body(), "api: 7 on /note");
}

TEST(HandlerKind, AKindRefusesAnUnknownNameAtItsPath) {
  auto [path, message] = config_failure(R"({"routes": [{"path": "/n", "handler": {"type": "note", "limit": "nope"}}]})",
                                 with_note());
  EXPECT_EQ(path, "/routes/0/handler/limit");
  EXPECT_NE(message.find("no rate limit \"nope\""), std::string::npos) << message;
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/n", "handler": {"type": "note", "limit": "a", "x": 1}}],
                        "rate_limits": {"a": {}}})", with_note()).first,
            "/routes/0/handler/x");
}

TEST(HandlerKind, TheBuiltInTableDoesNotKnowATestsKind) {
  EXPECT_EQ(config_failure(R"({"routes": [{"path": "/n", "handler": {"type": "note", "limit": "a"}}],
                        "rate_limits": {"a": {}}})", builtin_handler_kinds()).first,
            "/routes/0/handler/type");
}

TEST(HandlerKind, HandlerConfigsCompareByKindAndValue) {
  const DaemonConfig config = parse_config(R"({"rate_limits": {"a": {}}, "routes": [
    {"path": "/1", "handler": {"type": "note", "limit": "a"}},
    {"path": "/2", "handler": {"type": "note", "limit": "a"}},
    {"path": "/3", "handler": {"type": "echo"}}]})", "test.json", with_note());
  EXPECT_EQ(config.routes[0].handler, config.routes[1].handler);
  EXPECT_NE(config.routes[0].handler, config.routes[2].handler);
  EXPECT_NE(config.routes[0].handler, HandlerConfig());
  EXPECT_EQ(HandlerConfig(), HandlerConfig());
  EXPECT_TRUE(HandlerConfig().empty());
  EXPECT_EQ(config.routes[2].handler.as<ConfiguredHandler<NoteConfig>>(), nullptr);
}

}  // namespace
}  // namespace surge::detail
