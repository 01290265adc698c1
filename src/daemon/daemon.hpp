#pragma once
// Daemon: surged from command line to exit code.

namespace surge::detail {

/// Parses the command line, loads and checks the configuration, starts the server, and handles
/// signals until it has stopped: SIGTERM/SIGINT drain (a second one exits at once). Returns the
/// process exit code: 0 after a clean stop or a valid --check-config, 1 for configuration or
/// start-up errors (one line on stderr says what and where), 2 for command-line errors.
int run_daemon(int argc, const char* const* argv);

}  // namespace surge::detail
