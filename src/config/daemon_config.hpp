#pragma once
// DaemonConfig: what surged reads from its configuration file.

#include <string>

#include <surge/config.hpp>

namespace surge::detail {

/// Error and lifecycle logging (the access log has its own settings).
struct LogConfig {
  /// "trace", "debug", "info", "warn", "error", "critical" or "off". Default "info".
  std::string level = "info";
};

/// The whole file: the engine's ServerConfig at the top level, plus the daemon's own sections.
struct DaemonConfig {
  ServerConfig server;
  LogConfig log;
};

/// Checks the cross-field rules of a ServerConfig (each field's own range is checked while
/// parsing). Throws ConfigError naming `file` and the offending key.
void validate(const ServerConfig& config, const std::string& file);

}  // namespace surge::detail
