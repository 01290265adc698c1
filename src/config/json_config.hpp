#pragma once
// JSON configuration: the only place that knows the file format.

#include <string>
#include <string_view>

#include "config/daemon_config.hpp"

namespace surge::detail {

/// Parses a configuration document. Unknown keys are errors (a typo must not be silently
/// ignored); so are wrong types and out-of-range values (1e999 included), and nesting deeper than
/// 64 levels. Throws ConfigError carrying `file` and the JSON path of the bad key, and nothing
/// else: no text, however malformed or deep, ends the process. Keys not given keep the defaults
/// of the structs.
DaemonConfig parse_config(std::string_view json_text, const std::string& file);

/// Reads and parses a file. Throws ConfigError if it cannot be read or is invalid.
DaemonConfig load_config_file(const std::string& path);

}  // namespace surge::detail
