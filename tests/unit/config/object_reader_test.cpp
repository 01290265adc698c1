#include "config/object_reader.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "config_failure.hpp"
#include "handlers/kind_fixture.hpp"

namespace surge::detail {
namespace {

// Runs read on the document's root and returns the ConfigError's JSON path and message (or "").
std::pair<std::string, std::string> read_failure(const std::string& json,
                                                 const std::function<void(ObjectReader&)>& read) {
  try {
    read_document(json, "test.json", read);
  } catch (const ConfigError& e) {
    return {e.json_path(), e.what()};
  }
  return {"", ""};
}

using test::config_failure;

TEST(ObjectReader, ReadsTypedKeysAndKeepsDefaultsForAbsentOnes) {
  int n = 5;
  bool b = false;
  std::string s = "default";
  std::vector<std::string> list;
  std::chrono::milliseconds d{7};
  read_document(R"({"n": 3, "b": true, "list": ["x", "y"]})", "test.json", [&](ObjectReader& r) {
    r.integer("n", n, IntRange{0, 10});
    r.boolean("b", b);
    r.string("s", s);
    r.strings("list", list);
    r.duration_ms("d", d, IntRange{0, 10});
  });
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "default");
  EXPECT_EQ(list, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(d, std::chrono::milliseconds(7));
}

TEST(ObjectReader, UnknownKeysAreErrorsWithTheClosestKnownOne) {
  auto [path, message] = read_failure(R"({"sub": {"max_body_byte": 5}})", [](ObjectReader& r) {
    r.object("sub", [](ObjectReader& s) {
      std::uint64_t n = 0;
      s.integer("max_body_bytes", n, IntRange{0, 10});
      s.integer("max_header_bytes", n, IntRange{0, 10});
    });
  });
  EXPECT_EQ(path, "/sub/max_body_byte");
  EXPECT_NE(message.find("unknown key (did you mean \"max_body_bytes\"?)"), std::string::npos) << message;
  EXPECT_EQ(read_failure(R"({"colour": 1})", [](ObjectReader&) {}).second, "test.json: /colour: unknown key");
}

TEST(ObjectReader, CheckPutsAValidateErrorAtItsKey) {
  auto [path, message] = read_failure(R"({"section": {}})", [](ObjectReader& r) {
    r.object("section", [](ObjectReader& s) {
      s.check([] { throw InvalidField("adaptive/min_limit", "must not exceed max_limit", "load shedding"); });
    });
  });
  EXPECT_EQ(path, "/section/adaptive/min_limit");
  EXPECT_EQ(message, "test.json: /section/adaptive/min_limit: must not exceed max_limit");
}

TEST(ObjectReader, WalksMembersAndElementsWithTheirPaths) {
  std::vector<std::string> seen;
  read_document(R"({"named": {"b": 2, "a": 1}, "list": [{"k": 1}, {"k": 2}]})", "test.json", [&](ObjectReader& r) {
    r.members("named", "expected an object", [&](const std::string& name, JsonValue value) {
      seen.push_back(name + "=" + std::to_string(*value.integer()));
    });
    r.elements("list", "expected an array", [&](ObjectReader& element) {
      int k = 0;
      element.integer("k", k, IntRange{0, 9});
      seen.push_back(element.path() + "=" + std::to_string(k));
    });
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "b=2", "/list/0=1", "/list/1=2"}));
  EXPECT_EQ(read_failure(R"({"list": [{"k": 1}, 5]})", [](ObjectReader& r) {
              r.elements("list", "expected an array", [](ObjectReader& e) { e.value("k"); });
            }).first,
            "/list/1");
  EXPECT_EQ(read_failure(R"({"named": []})", [](ObjectReader& r) {
              r.members("named", "expected an object", [](const std::string&, JsonValue) {});
            }).second,
            "test.json: /named: expected an object");
}

TEST(ObjectReader, JsonValueSaysWhatItHolds) {
  read_document(R"({"v": [null, "s", 18446744073709551615, -3, {}]})", "test.json", [](ObjectReader& r) {
    const std::vector<JsonValue> v = r.value("v")->elements();
    EXPECT_TRUE(v[0].is_null());
    EXPECT_EQ(v[1].string(), "s");
    EXPECT_FALSE(v[2].integer().has_value());  // beyond 64 signed bits
    EXPECT_EQ(v[3].integer(), -3);
    EXPECT_TRUE(v[4].is_object());
    EXPECT_EQ(r.value("v")->dump(), R"([null,"s",18446744073709551615,-3,{}])");
  });
}

// --- Through the loader: what any key of any section gets ---

TEST(ObjectReader, WrongTypesNameTheKey) {
  EXPECT_EQ(config_failure(R"({"threads": "two"})").first, "/threads");
  EXPECT_EQ(config_failure(R"({"limits": []})").first, "/limits");
  EXPECT_EQ(config_failure(R"({"listen": ["1.2.3.4:80", 5]})").first, "/listen/1");
  EXPECT_EQ(config_failure(R"({"pin_workers": 1})").first, "/pin_workers");
  EXPECT_EQ(config_failure(R"([])").first, "/");
}

TEST(ObjectReader, SyntaxErrorsNameTheFile) {
  auto [path, message] = config_failure("{\"threads\": }");
  EXPECT_EQ(path, "");
  EXPECT_NE(message.find("test.json"), std::string::npos);
  EXPECT_NE(message.find("not valid JSON"), std::string::npos);
}

// --- Text that must be refused with a message, never end the process (issue 12) ---

std::string route_with_json_body(const std::string& body) {
  return R"({"routes": [{"path": "/d", "handler": {"type": "json", "body": )" + body + "}}]}";
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) out += R"({"a":)";
  return out + "1" + std::string(depth, '}');
}

TEST(ObjectReader, ANumberBeyondADoubleIsRefusedAtItsPath) {
  auto [path, message] = config_failure(R"({"threads": 1e999})");
  EXPECT_EQ(path, "/threads");
  EXPECT_NE(message.find("test.json: /threads: number out of range: 1e999"), std::string::npos) << message;
  EXPECT_EQ(config_failure(R"({"limits": {"max_body_bytes": 1e999}})").first, "/limits/max_body_bytes");
  EXPECT_EQ(config_failure(R"({"timeouts": {"header_ms": -1e999}})").first, "/timeouts/header_ms");
  EXPECT_EQ(config_failure(route_with_json_body("[1, 2, 1e999]")).first, "/routes/0/handler/body/2");
  EXPECT_EQ(config_failure("1e999").first, "");
}

TEST(ObjectReader, ALargeFiniteNumberIsNotAnInteger) {
  auto [path, message] = config_failure(R"({"threads": 1e300})");
  EXPECT_EQ(path, "/threads");
  EXPECT_NE(message.find("expected an integer"), std::string::npos) << message;
  EXPECT_EQ(config_failure(R"({"limits": {"max_body_bytes": 99999999999999999999999}})").first, "/limits/max_body_bytes");
}

TEST(ObjectReader, ANegativeNumberWhereAnUnsignedIsExpectedIsRefused) {
  auto [path, message] = config_failure(R"({"pools": {"buffers_per_worker": -1}})");
  EXPECT_EQ(path, "/pools/buffers_per_worker");
  EXPECT_NE(message.find("from 0 to"), std::string::npos) << message;
  EXPECT_EQ(config_failure(R"({"threads": -1})").first, "/threads");
  EXPECT_EQ(config_failure(R"({"limits": {"max_body_bytes": -9223372036854775808}})").first, "/limits/max_body_bytes");
}

TEST(ObjectReader, DeepNestingInAHandlerBodyIsRefusedNamingTheLimit) {
  for (const std::string& body : {nested_arrays(100'000), nested_objects(100'000)}) {
    auto [path, message] = config_failure(route_with_json_body(body));
    EXPECT_EQ(path.rfind("/routes/0/handler/body/", 0), 0u) << path;
    EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(ObjectReader, DeepNestingInARouteMethodIsRefusedNamingTheLimit) {
  for (const std::string& method : {nested_arrays(100'000), nested_objects(100'000)}) {
    auto [path, message] =
        config_failure(R"({"routes": [{"path": "/d", "method": )" + method + R"(, "handler": {"type": "echo"}}]})");
    EXPECT_EQ(path.rfind("/routes/0/method/", 0), 0u) << path;
    EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << message;
  }
}

TEST(ObjectReader, NestingUpToTheLimitIsAccepted) {
  // The document, the routes, a route and its handler are 4 levels: 60 are left for the body.
  DaemonConfig c = parse_config(route_with_json_body(nested_arrays(60)), "test.json");
  ASSERT_EQ(c.routes.size(), 1u);
  test::FakeExchange ex(test::request("GET", "/d"));
  test::serve(c.routes[0], ex);
  EXPECT_EQ(ex.body(), nested_arrays(60));
  auto [path, message] = config_failure(route_with_json_body(nested_arrays(61)));
  EXPECT_EQ(path, "/routes/0/handler/body" + [] {
    std::string zeros;
    for (int i = 0; i < 60; ++i) zeros += "/0";
    return zeros;
  }());
}

TEST(ObjectReader, MalformedTextIsAConfigError) {
  for (const std::string& text :
       {std::string("{\"threads\": 1"), std::string("{} {}"), std::string("\xff"), std::string("{\"a\xff\": 1}"),
        std::string(R"({"server_header": "\ud800"})"), std::string(""), std::string("[") + std::string(70, '{')}) {
    EXPECT_THROW(parse_config(text, "test.json"), ConfigError) << text;
  }
}

}  // namespace
}  // namespace surge::detail
