#pragma once
// What the configuration tests ask of a text, or a struct, that must be refused.

#include <string>
#include <utility>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "config/handlers/builtin_kinds.hpp"

namespace surge::test {

/// parse_config(json) with `kinds`: the ConfigError's JSON path and message, or {"", ""} when the
/// text was read.
inline std::pair<std::string, std::string> config_failure(
    const std::string& json, const detail::HandlerKinds& kinds = detail::builtin_handler_kinds()) {
  try {
    detail::parse_config(json, "test.json", kinds);
  } catch (const ConfigError& e) {
    return {e.json_path(), e.what()};
  }
  return {"", ""};
}

/// The field validate(config) refuses, or "" when it accepts config.
template <class Config>
std::string refused_field(const Config& config) {
  try {
    validate(config);
  } catch (const InvalidField& e) {
    return e.field();
  }
  return "";
}

}  // namespace surge::test
