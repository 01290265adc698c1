#include "daemon/cli.hpp"

#include <charconv>
#include <string_view>

namespace surge::detail {

std::string usage() {
  return "Usage: surged [options]\n"
         "\n"
         "  --config FILE      configuration file (default: config/surge.json if present,\n"
         "                     otherwise built-in defaults)\n"
         "  --listen ADDR      listen on ADDR (ip:port or [ipv6]:port); repeatable; replaces\n"
         "                     the configured addresses\n"
         "  --threads N        worker threads (0: one per CPU this process may use)\n"
         "  --log-level LEVEL  trace, debug, info, warn, error, critical or off\n"
         "  --metrics-listen ADDR\n"
         "                     the Prometheus exporter's address (ip:port; \"\" for none)\n"
         "  --check-config     validate the configuration and exit (0: valid)\n"
         "  --version          print the version and exit\n"
         "  --help             print this help and exit\n"
         "\n"
         "Signals: SIGTERM/SIGINT drain and stop (a second one exits at once),\n"
         "SIGHUP reloads the configuration, SIGUSR1 reopens the access log file.\n";
}

std::optional<CliOptions> parse_cli(int argc, const char* const* argv, std::string& error) {
  CliOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto need_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) {
        error = std::string(arg) + " needs a value";
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (arg == "--config") {
      if (!need_value()) return std::nullopt;
      options.config_path = std::string(value);
    } else if (arg == "--listen") {
      if (!need_value()) return std::nullopt;
      options.listen.emplace_back(value);
    } else if (arg == "--threads") {
      if (!need_value()) return std::nullopt;
      unsigned n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n > 1024) {
        error = "--threads takes a number from 0 to 1024";
        return std::nullopt;
      }
      options.threads = n;
    } else if (arg == "--metrics-listen") {
      if (!need_value()) return std::nullopt;
      options.metrics_listen = std::string(value);
    } else if (arg == "--log-level") {
      if (!need_value()) return std::nullopt;
      options.log_level = std::string(value);
    } else if (arg == "--check-config" && !has_value) {
      options.check_config = true;
    } else if (arg == "--version" && !has_value) {
      options.version = true;
    } else if ((arg == "--help" || arg == "-h") && !has_value) {
      options.help = true;
    } else {
      error = "unknown option " + std::string(argv[i]);
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace surge::detail
