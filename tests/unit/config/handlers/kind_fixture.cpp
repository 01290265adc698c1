#include "kind_fixture.hpp"

#include <gtest/gtest.h>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "unit/config/config_failure.hpp"

namespace surge::test {
namespace {

std::string document(const std::string& pattern, const std::string& handler_json) {
  return R"({"routes": [{"path": ")" + pattern + R"(", "handler": )" + handler_json + "}]}";
}

}  // namespace

detail::RouteConfig read_route(const std::string& pattern, const std::string& handler_json,
                               const detail::HandlerKinds& kinds) {
  const std::string text = document(pattern, handler_json);
  detail::DaemonConfig config =
      kinds.empty() ? detail::parse_config(text, "test.json") : detail::parse_config(text, "test.json", kinds);
  EXPECT_EQ(config.routes.size(), 1u);
  return config.routes.at(0);
}

std::pair<std::string, std::string> route_failure(const std::string& pattern, const std::string& handler_json) {
  return config_failure(document(pattern, handler_json));
}

void serve(const detail::RouteConfig& route, FakeExchange& ex,
           const std::vector<std::pair<std::string, std::string>>& params) {
  const std::vector<std::string> names = detail::pattern_parameters(route.path);
  const detail::DaemonConfig config;
  const Handler handler = route.handler.make(detail::HandlerBuildContext{route.path, names, config});
  for (const auto& [name, value] : params) ex.exchange().add_param(name, value);
  handler(ex.ctx());
}

}  // namespace surge::test
