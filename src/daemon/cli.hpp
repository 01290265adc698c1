#pragma once
// Cli: surged's command line.

#include <optional>
#include <string>
#include <vector>

namespace surge::detail {

struct CliOptions {
  std::string config_path;  // --config; empty: config/surge.json if present, else defaults
  std::optional<unsigned> threads;
  std::vector<std::string> listen;  // --listen (repeatable): replaces the configured addresses
  std::optional<std::string> log_level;
  std::optional<std::string> metrics_listen;  // --metrics-listen: the exporter's address ("" for none)
  bool check_config = false;
  bool version = false;
  bool help = false;
};

/// Parses argv. On a usage error returns nullopt and sets error to a one-line explanation.
std::optional<CliOptions> parse_cli(int argc, const char* const* argv, std::string& error);

/// The --help text.
std::string usage();

}  // namespace surge::detail
