#include "daemon/daemon.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include <spdlog/logger.h>

#include <surge/error.hpp>

#include "daemon/app_builder.hpp"
#include "daemon/cli.hpp"
#include "daemon/logging.hpp"
#include "daemon/service.hpp"
#include "daemon/socket_activation.hpp"
#include "daemon/systemd_notify.hpp"

namespace surge::detail {
namespace {

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

// The signals the main thread waits for; blocked in every thread so none is delivered elsewhere.
// SIGUSR2 is internal: the waiter thread raises it when the server has stopped.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, signal);
  return set;
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "a signal";
  }
}

// Waits for signals until the server has stopped: the shutdown timeline, reloads, log reopening
// and the systemd watchdog all happen on this thread, never on a worker.
void handle_signals(Service& service, Readiness& readiness, spdlog::logger& log) {
  SystemdNotifier systemd = SystemdNotifier::from_environment();
  systemd.ready();
  systemd.status("serving on " + service.addresses());

  std::thread waiter([&service] {
    service.server().wait();
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
      if (service.server().workers_alive(std::chrono::duration_cast<std::chrono::milliseconds>(watchdog))) {
        systemd.watchdog();
      } else {
        log.warn("a worker loop is stalled: not pinging the systemd watchdog");
      }
      continue;
    }
    if (signal == SIGUSR2) break;
    if (signal == SIGUSR1) {
      service.reopen_logs();
      continue;
    }
    if (signal == SIGHUP) {
      if (draining) continue;
      systemd.reloading();
      systemd.status("reloading");
      log.info("received SIGHUP: reloading the configuration");
      service.reload();
      systemd.ready();
      systemd.status("serving on " + service.addresses());
      continue;
    }
    if (draining) {
      // A second SIGTERM/SIGINT: the operator wants out now.
      std::fprintf(stderr, "surged: second %s, exiting now\n", signal_name(signal));
      std::fflush(stderr);
      std::_Exit(1);
    }
    draining = true;
    readiness.set_draining();
    systemd.stopping();
    systemd.status("draining");
    service.server().shutdown();
    // Said once every worker has been told to retire its connections: from this line on, every
    // response says Connection: close (a test, or an operator, may rely on that order).
    log.info("received {}: draining", signal_name(signal));
  }
  waiter.join();
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
  // Socket activation: the service manager's listening sockets replace "listen".
  auto inherited = inherited_sockets_from_environment(error);
  if (!inherited) {
    std::cerr << "surged: socket activation: " << error << "\n";
    return 1;
  }
  for (const InheritedSocket& socket : *inherited) {
    if (socket.family != AF_INET && socket.family != AF_INET6) {
      std::cerr << "surged: socket activation: " << socket.local_address
                << " is not a TCP socket (surged serves TCP only)\n";
      return 1;
    }
    config.server.inherited_listeners.push_back(socket.fd);
  }
  // Before any thread exists (the logger's too), so every thread inherits the mask and signals
  // reach the signal loop only.
  const sigset_t signals = handled_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  DaemonLogger logger = make_daemon_logger(config.log.level);
  raise_file_limit(*logger.log);
  if (!inherited->empty()) {
    logger.log->info("socket activation: serving {} inherited socket{}, not the configured addresses",
                     inherited->size(), inherited->size() == 1 ? "" : "s");
  }
  {
    Service service(*options, source, readiness, logger);
    if (!service.start(std::move(config))) return 1;
    handle_signals(service, *readiness, *logger.log);
  }
  logger.log->info("stopped");
  return 0;
}

}  // namespace surge::detail
