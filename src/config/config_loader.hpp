#pragma once
// Loading a configuration file: the entry point that walks the top-level sections, each read by
// its own reader (config/*_reader.hpp) through the one ObjectReader that knows JSON.

#include <string>
#include <string_view>

#include "config/daemon_config.hpp"
#include "config/handler_kind.hpp"

namespace surge::detail {

/// Parses a configuration document. Unknown keys are errors (a typo must not be silently
/// ignored); so are wrong types and out-of-range values (1e999 included), and nesting deeper than
/// 64 levels. Throws ConfigError carrying `file` and the JSON path of the bad key, and nothing
/// else: no text, however malformed or deep, ends the process. Keys not given keep the defaults
/// of the structs. Route handlers are of the built-in kinds (text, json, echo, files).
DaemonConfig parse_config(std::string_view json_text, const std::string& file);

/// The same, with the handler kinds a route may name given (a test's own table).
DaemonConfig parse_config(std::string_view json_text, const std::string& file, const HandlerKinds& kinds);

/// Reads and parses a file. Throws ConfigError if it cannot be read or is invalid.
DaemonConfig load_config_file(const std::string& path);

}  // namespace surge::detail
