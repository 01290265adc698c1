#include "daemon/daemon_metrics.hpp"

#include <boost/version.hpp>
#include <chrono>

#include "metrics/prometheus_collector.hpp"

namespace surge::detail {
namespace {

double unix_seconds_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void DaemonMetrics::loaded() {
  last_success_seconds_.store(unix_seconds_now(), std::memory_order_relaxed);
}

void DaemonMetrics::reload_succeeded() {
  reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  last_success_seconds_.store(unix_seconds_now(), std::memory_order_relaxed);
}

void DaemonMetrics::reload_failed() { reloads_failed_.fetch_add(1, std::memory_order_relaxed); }

void DaemonMetrics::collect(MetricSink& sink) const {
  static const std::string boost_version =
      std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000);
  sink.gauge("surge_build_info", "Build information; the value is always 1.",
             {{"version", SURGE_VERSION}, {"boost", boost_version}, {"compiler", __VERSION__}}, 1);
  sink.counter("surge_config_reloads_total", "Configuration reloads (SIGHUP), by result.",
               {{"result", "success"}}, static_cast<double>(reloads_ok_.load(std::memory_order_relaxed)));
  sink.counter("surge_config_reloads_total", "Configuration reloads (SIGHUP), by result.",
               {{"result", "failure"}}, static_cast<double>(reloads_failed_.load(std::memory_order_relaxed)));
  sink.gauge("surge_config_last_reload_success_timestamp_seconds",
             "When the configuration was last loaded successfully (start-up or reload), unix seconds.", {},
             last_success_seconds_.load(std::memory_order_relaxed));
}

void add_metrics_route(Router& router, const std::string& path,
                       std::shared_ptr<const PrometheusCollector> collector) {
  router.get(path, [collector](Context& ctx) {
    auto text = std::make_shared<std::string>();
    ctx.offload([collector, text] { *text = collector->serialize(); },
                [text](Context& c) {
                  c.response().set_status(200);
                  c.response().set_content_type("text/plain; version=0.0.4; charset=utf-8");
                  c.response().set_body(*text);
                });
  });
}

}  // namespace surge::detail
