// fuzz_json_config: the JSON configuration loader (src/config/config_loader.cpp and the section
// readers) on fuzzed text.
//
// Input: the text of a configuration file. parse_config() must either return a configuration or
// throw surge::ConfigError whose JSON path is empty (the document as a whole) or a JSON pointer;
// any other exception, a crash or a stack overflow is a finding. An accepted configuration must
// also be one the daemon can build (as --check-config does): it validates again, and the handler
// of each route builds (the text and JSON templates compile against their pattern's parameters;
// a files root is only opened then and a proxy route's upstream only resolved then, so those are
// left out).

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <variant>
#include <vector>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_accepted(const surge::detail::DaemonConfig& config) {
  surge::detail::validate(config.server, "fuzz.json");
  for (const surge::detail::RouteConfig& route : config.routes) {
    if (route.handler.type() == "files" || route.handler.type() == "proxy") continue;
    const std::vector<std::string> params = surge::detail::pattern_parameters(route.path);
    try {
      (void)route.handler.make(surge::detail::HandlerBuildContext{route.path, params, config});
    } catch (const std::invalid_argument& e) {
      surge::fuzz::fail("an accepted route's handler cannot be built", __FILE__, __LINE__,
                        route.json_path + ": " + e.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<surge::detail::DaemonConfig> config;
  try {
    config = surge::detail::parse_config(text, "fuzz.json");
  } catch (const surge::ConfigError& e) {
    const std::string& path = e.json_path();
    SURGE_FUZZ_CHECK_MSG(path.empty() || path.front() == '/',
                         "ConfigError with JSON path \"" + path + "\"");
    SURGE_FUZZ_CHECK(std::string_view(e.what()).substr(0, 9) == "fuzz.json");
    return 0;
  } catch (const std::exception& e) {
    surge::fuzz::fail("parse_config threw something other than ConfigError", __FILE__, __LINE__,
                      std::string(typeid(e).name()) + ": " + e.what());
  }
  try {
    check_accepted(*config);
  } catch (const std::exception& e) {
    surge::fuzz::fail("an accepted configuration fails validation", __FILE__, __LINE__, e.what());
  }
  return 0;
}
