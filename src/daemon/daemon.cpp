#include "daemon/daemon.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <spdlog/logger.h>

#include <surge/error.hpp>
#include <surge/server.hpp>

#include "config/json_config.hpp"
#include "daemon/app_builder.hpp"
#include "daemon/cli.hpp"
#include "daemon/logging.hpp"
#include "daemon/systemd_notify.hpp"

namespace surge::detail {
namespace {

constexpr const char* kDefaultConfig = "config/surge.json";

// Loads the file named on the command line, else config/surge.json if present, else defaults;
// then applies the command-line overrides. Throws ConfigError.
DaemonConfig resolve_config(const CliOptions& options, std::string& source) {
  DaemonConfig config;
  if (!options.config_path.empty()) {
    source = options.config_path;
    config = load_config_file(source);
  } else if (std::filesystem::exists(kDefaultConfig)) {
    source = kDefaultConfig;
    config = load_config_file(source);
  } else {
    source = "built-in defaults";
  }
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (options.threads) config.server.threads = *options.threads;
  if (options.log_level) {
    if (!valid_log_level(*options.log_level)) {
      throw ConfigError("command line", "--log-level",
                        "expected trace, debug, info, warn, error, critical or off");
    }
    config.log.level = *options.log_level;
  }
  validate(config.server, source);
  return config;
}

// Like h2o: every connection needs a descriptor, and the soft limit (often 1024) is far below
// what the hard limit allows. Running out later is handled (accepts pause), but needlessly.
void raise_file_limit(spdlog::logger& log) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    log.debug("raised the open file limit from {} to {}", before, limit.rlim_max);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The signals the main thread waits for; blocked in every thread so none is delivered elsewhere.
// SIGUSR2 is internal: the waiter thread raises it when the server has stopped.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);
  return set;
}

int serve(const DaemonConfig& config, const std::string& source, const Router& router,
          const std::shared_ptr<Readiness>& readiness, const DaemonLogger& logger) {
  spdlog::logger& log = *logger.log;
  raise_file_limit(log);

  Server server(config.server, router, logger.log);
  try {
    server.start();
  } catch (const std::system_error& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return 1;
  }
  SystemdNotifier systemd = SystemdNotifier::from_environment();
  log.info("surged {} started: {} worker{}, listening on {} (configuration: {})", SURGE_VERSION,
           server.workers(), server.workers() == 1 ? "" : "s", join(server.local_addresses()),
           source);
  systemd.ready();
  systemd.status("serving on " + join(server.local_addresses()));

  std::thread waiter([&server] {
    server.wait();
    kill(getpid(), SIGUSR2);
  });

  const sigset_t signals = handled_signals();
  const auto watchdog = systemd.watchdog_interval() / 2;
  bool draining = false;
  for (;;) {
    int signal = 0;
    if (watchdog.count() > 0) {
      timespec wait{static_cast<time_t>(watchdog.count() / 1'000'000),
                    static_cast<long>(watchdog.count() % 1'000'000) * 1000};
      signal = sigtimedwait(&signals, nullptr, &wait);
    } else {
      sigwait(&signals, &signal);
    }
    if (signal < 0) {
      // A watchdog period passed: prove liveness only if every worker's loop is turning.
      if (server.workers_alive(std::chrono::duration_cast<std::chrono::milliseconds>(watchdog))) {
        systemd.watchdog();
      } else {
        log.warn("a worker loop is stalled: not pinging the systemd watchdog");
      }
      continue;
    }
    if (signal == SIGUSR2) break;
    if (draining) {
      // A second SIGTERM/SIGINT: the operator wants out now.
      std::fprintf(stderr, "surged: second %s, exiting now\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stderr);
      std::_Exit(1);
    }
    draining = true;
    readiness->set_draining();
    systemd.stopping();
    systemd.status("draining");
    log.info("received {}: draining", signal == SIGINT ? "SIGINT" : "SIGTERM");
    server.shutdown();
  }
  waiter.join();
  log.info("stopped");
  return 0;
}

}  // namespace

int run_daemon(int argc, const char* const* argv) {
  std::string error;
  auto options = parse_cli(argc, argv, error);
  if (!options) {
    std::cerr << "surged: " << error << "\n" << usage();
    return 2;
  }
  if (options->help) {
    std::cout << usage();
    return 0;
  }
  if (options->version) {
    std::cout << "surged " << SURGE_VERSION << "\n";
    return 0;
  }
  DaemonConfig config;
  std::string source;
  auto readiness = std::make_shared<Readiness>();
  try {
    config = resolve_config(*options, source);
    if (options->check_config) {
      // Building the routes is part of checking the configuration (conflicts, files roots).
      build_router(config, source, readiness, nullptr);
      std::cout << "surged: configuration ok (" << source << ")\n";
      return 0;
    }
  } catch (const ConfigError& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return 1;
  }
  // Before any thread exists (the logger's too), so every thread inherits the mask and signals
  // reach sigwait only.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  DaemonLogger logger = make_daemon_logger(config.log.level);
  std::optional<Router> router;
  try {
    router.emplace(build_router(config, source, readiness, logger.log));
  } catch (const ConfigError& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return 1;
  }
  return serve(config, source, *router, readiness, logger);
}

}  // namespace surge::detail
