#include "daemon/service.hpp"

#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include <spdlog/logger.h>

#include <surge/error.hpp>

#include "config/config_loader.hpp"
#include "daemon/app_builder.hpp"
#include "http/application.hpp"
#include "metrics/access_log.hpp"
#include "metrics/exporter.hpp"
#include "metrics/process_metrics.hpp"
#include "metrics/prometheus_collector.hpp"
#include "metrics/request_metrics.hpp"
#include "net/listen_address.hpp"
#include "router/router_app.hpp"
#include "server/server_hooks.hpp"
#include "server/worker_pool.hpp"

namespace surge::detail {
namespace {

constexpr const char* kDefaultConfig = "config/surge.json";

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

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
  if (options.metrics_listen) config.metrics.listen = *options.metrics_listen;
  if (options.log_level) {
    if (!valid_log_level(*options.log_level)) {
      throw ConfigError("command line", "--log-level",
                        "expected trace, debug, info, warn, error, critical or off");
    }
    config.log.level = *options.log_level;
  }
  validate(config.server, source);
  if (!config.metrics.listen.empty()) {
    std::string error;
    if (!parse_listen_address(config.metrics.listen, error)) {
      throw ConfigError("command line", "--metrics-listen", error);
    }
  }
  return config;
}

std::vector<std::string> restart_required(const DaemonConfig& running, const DaemonConfig& next) {
  std::vector<std::string> keys;
  const ServerConfig& a = running.server;
  const ServerConfig& b = next.server;
  auto check = [&](bool changed, const char* key) {
    if (changed) keys.emplace_back(key);
  };
  check(a.threads != b.threads, "threads");
  check(a.pin_workers != b.pin_workers, "pin_workers");
  check(a.backlog != b.backlog, "backlog");
  check(a.server_header != b.server_header, "server_header");
  // Whole sections: a field added to one is compared without a line here.
  check(a.limits != b.limits, "limits");
  check(a.timeouts != b.timeouts, "timeouts");
  check(a.shutdown != b.shutdown, "shutdown");
  check(a.pools != b.pools, "pools");
  check(a.offload != b.offload, "offload");
  check(running.metrics != next.metrics, "metrics");
  if (keys.empty()) {
    // A top-level field no line above names: all of ServerConfig but its listeners (which a
    // reload applies; inherited ones come from the service manager, not the file) is fixed.
    ServerConfig reloadable = b;
    reloadable.listen = a.listen;
    reloadable.inherited_listeners = a.inherited_listeners;
    check(reloadable != a, "server");
  }
  return keys;
}

std::vector<std::shared_ptr<RequestObserver>> Service::Generation::observers() const {
  std::vector<std::shared_ptr<RequestObserver>> out;
  if (request_metrics) out.push_back(request_metrics);
  if (access_log) out.push_back(access_log);
  return out;
}

Service::Service(CliOptions options, std::string source, std::shared_ptr<Readiness> readiness,
                 const DaemonLogger& logger)
    : options_(std::move(options)),
      source_(std::move(source)),
      readiness_(std::move(readiness)),
      logger_(logger),
      collector_(std::make_shared<PrometheusCollector>()),
      daemon_metrics_(std::make_shared<DaemonMetrics>()) {}

Service::~Service() {
  exporter_.reset();  // its scrapes read the server: stop them first
  server_.reset();
}

Service::Generation Service::build(const DaemonConfig& config) {
  Generation g;
  Router router = build_router(config, source_, readiness_, logger_.log, UpstreamServices{&resolver_, &health_checker_});
  if (config.metrics.enabled && config.metrics.serve_on_main_listener) {
    try {
      add_metrics_route(router, config.metrics.path, collector_);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(source_, "/metrics/path", e.what());
    }
  }
  g.app = freeze(router);
  if (config.metrics.enabled) {
    const std::vector<std::string> labels = g.app->route_labels();
    // Same routes: keep counting in the same series (no reset on a reload that changed, say, a
    // rate limit).
    if (current_.request_metrics && current_.app && current_.app->route_labels() == labels) {
      g.request_metrics = current_.request_metrics;
    } else {
      g.request_metrics = std::make_shared<RequestMetrics>(config.metrics.http, labels, worker_count(config.server));
    }
  }
  if (config.access_log.enabled) {
    g.access_log = std::make_shared<AccessLog>(config.access_log, worker_count(config.server));
  }
  return g;
}

void Service::add_metric_sources(const Generation& g, const Generation* previous) {
  // A new RequestMetrics keeps the old one's counts: both stay sources, so counters never go
  // backwards across a reload that changed the routes.
  if (g.request_metrics && (previous == nullptr || g.request_metrics != previous->request_metrics)) {
    collector_->add_source([m = g.request_metrics](MetricSink& sink) { m->collect(sink); });
  }
  // One access log source, replaced at a reload: the old access log (its writer thread, its file)
  // is released once no request uses it, and what it dropped carries over.
  if (g.access_log && (previous == nullptr || g.access_log != previous->access_log)) {
    if (previous != nullptr && previous->access_log) access_log_dropped_before_ += previous->access_log->dropped();
    collector_->set_source("access_log", [a = g.access_log, before = access_log_dropped_before_](MetricSink& sink) {
      a->collect(sink, before);
    });
  }
}

bool Service::start(DaemonConfig config) {
  spdlog::logger& log = *logger_.log;
  config_ = std::move(config);
  try {
    current_ = build(config_);
  } catch (const ConfigError& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return false;
  } catch (const std::system_error& e) {
    std::cerr << "surged: cannot open the access log " << config_.access_log.path << ": "
              << e.code().message() << "\n";
    return false;
  }
  daemon_metrics_->loaded();
  server_ = ServerHooks::make(config_.server, current_.app, logger_.log, current_.observers());
  try {
    server_->start();
  } catch (const std::exception& e) {
    std::cerr << "surged: " << e.what() << "\n";
    return false;
  }
  if (config_.metrics.enabled) {
    auto process = std::make_shared<ProcessMetrics>();
    collector_->add_source(
        [this](MetricSink& sink) { ServerHooks::collect_metrics(*server_, sink); });
    collector_->add_source([process](MetricSink& sink) { process->collect(sink); });
    collector_->add_source([m = daemon_metrics_](MetricSink& sink) { m->collect(sink); });
    add_metric_sources(current_, nullptr);
    if (!config_.metrics.listen.empty()) {
      try {
        exporter_ = std::make_unique<Exporter>(config_.metrics.listen, config_.metrics.path, collector_);
      } catch (const std::exception& e) {
        std::cerr << "surged: " << e.what() << " (metrics.listen / --metrics-listen)\n";
        server_->stop();
        server_->wait();
        return false;
      }
    }
  }
  log.info("surged {} started: {} worker{}, listening on {} (configuration: {})", SURGE_VERSION,
           server_->workers(), server_->workers() == 1 ? "" : "s", addresses(), source_);
  if (exporter_) {
    const std::string& listen = config_.metrics.listen;
    log.info("metrics on http://{}:{}{}", listen.substr(0, listen.rfind(':')), exporter_->port(),
             config_.metrics.path);
  }
  return true;
}

bool Service::reload() {
  spdlog::logger& log = *logger_.log;
  try {
    std::string source;
    DaemonConfig next = resolve_config(options_, source);
    for (const std::string& key : restart_required(config_, next)) {
      log.warn("reload: changes to \"{}\" need a restart; the running values stay", key);
    }
    // Engine settings stay as they are; everything else comes from the new file.
    next.server.threads = config_.server.threads;
    DaemonConfig applied = next;
    applied.server = config_.server;
    applied.server.listen = next.server.listen;
    applied.metrics = config_.metrics;
    Generation g = build(applied);
    ServerHooks::reload(*server_, g.app, g.observers(), applied.server.listen);
    if (applied.metrics.enabled) add_metric_sources(g, &current_);
    logger_.log->set_level(spdlog::level::from_str(applied.log.level));
    current_ = std::move(g);
    config_ = std::move(applied);
    daemon_metrics_->reload_succeeded();
    log.info("configuration reloaded from {}: listening on {}", source, addresses());
    return true;
  } catch (const ConfigError& e) {
    log.error("reload failed, the running configuration stays: {}", e.what());
  } catch (const std::system_error& e) {
    log.error("reload failed, the running configuration stays: {}", e.what());
  } catch (const std::exception& e) {
    log.error("reload failed, the running configuration stays: {}", e.what());
  }
  daemon_metrics_->reload_failed();
  return false;
}

void Service::reopen_logs() {
  if (!current_.access_log) return;
  if (auto ec = current_.access_log->reopen()) {
    logger_.log->error("cannot reopen the access log {}: {}", config_.access_log.path, ec.message());
  } else {
    logger_.log->info("access log reopened");
  }
}

std::string Service::addresses() const { return join(server_->local_addresses()); }

}  // namespace surge::detail
