#include "daemon/app_builder.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "config/handlers/builtin_kinds.hpp"
#include "config/object_reader.hpp"

namespace surge::detail {
namespace {

ConfigError build_failure(const DaemonConfig& config) {
  try {
    build_router(config, "test.json", std::make_shared<Readiness>(), nullptr);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "built";
  return ConfigError("", "", "");
}

ConfigError load_failure(const std::string& json) {
  try {
    parse_config(json, "test.json");
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded";
  return ConfigError("", "", "");
}

// validate() is the factories' check as well as the loader's: a config built by hand meets the
// rule where the file would have met it, in the same words.
TEST(AppBuilder, AProtectionBuiltByHandFailsAsItsFileWould) {
  DaemonConfig config;
  CircuitBreakerConfig breaker;
  breaker.name = "db";
  breaker.window_buckets = 0;
  config.breakers.push_back(breaker);
  const ConfigError built = build_failure(config);
  const ConfigError loaded = load_failure(R"({"breakers": {"db": {"window_buckets": 0}}})");
  EXPECT_EQ(built.json_path(), "/breakers/db/window_buckets");
  EXPECT_EQ(built.json_path(), loaded.json_path());
  EXPECT_STREQ(built.what(), loaded.what());

  config = {};
  config.load_shedding = true;
  config.load_shedding_config.adaptive.enabled = true;
  config.load_shedding_config.adaptive.min_limit = 0;
  EXPECT_EQ(build_failure(config).json_path(), "/load_shedding/adaptive/min_limit");
}

// A kind's factory failing (here a test kind's) is reported at its route.
struct BrokenConfig {
  bool operator==(const BrokenConfig&) const = default;
};

TEST(AppBuilder, AHandlerThatCannotBeMadeIsAConfigErrorAtItsRoute) {
  HandlerKinds kinds = builtin_handler_kinds();
  kinds.push_back(handler_kind<BrokenConfig>(
      "broken", [](ObjectReader&, const HandlerReadContext&) { return BrokenConfig{}; },
      [](const BrokenConfig&, const HandlerBuildContext& route) -> Handler {
        throw std::invalid_argument("cannot serve " + std::string(route.pattern));
      }));
  const DaemonConfig config = parse_config(R"({"routes": [{"path": "/ok", "handler": {"type": "echo"}},
    {"path": "/b/:x", "handler": {"type": "broken"}}]})", "test.json", kinds);
  const ConfigError e = build_failure(config);
  EXPECT_EQ(e.json_path(), "/routes/1");
  EXPECT_NE(std::string(e.what()).find("cannot serve /b/:x"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace surge::detail
