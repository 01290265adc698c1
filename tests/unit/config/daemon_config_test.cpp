// Defaulted operator== on every configuration struct: a field in any section, however new, takes
// part in the comparison (reload's restart-required check relies on it).

#include "config/daemon_config.hpp"

#include <functional>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

// The defaults plus one rate limit and one breaker, so their fields can change too.
DaemonConfig base() {
  DaemonConfig c;
  c.rate_limits.emplace_back();
  c.breakers.emplace_back();
  return c;
}

TEST(DaemonConfig, AChangedFieldInAnySectionIsSeen) {
  const std::vector<std::pair<const char*, std::function<void(DaemonConfig&)>>> edits = {
      {"listen", [](DaemonConfig& c) { c.server.listen.push_back("127.0.0.1:1"); }},
      {"inherited_listeners", [](DaemonConfig& c) { c.server.inherited_listeners.push_back(3); }},
      {"backlog", [](DaemonConfig& c) { c.server.backlog = 1; }},
      {"limits", [](DaemonConfig& c) { c.server.limits.max_pipelined_responses = 1; }},
      {"timeouts", [](DaemonConfig& c) { c.server.timeouts.min_rate_grace = 1ms; }},
      {"shutdown", [](DaemonConfig& c) { c.server.shutdown.drain_delay = 1ms; }},
      {"pools", [](DaemonConfig& c) { c.server.pools.release_idle_after = 1ms; }},
      {"offload", [](DaemonConfig& c) { c.server.offload.queue = 1; }},
      {"log", [](DaemonConfig& c) { c.log.level = "off"; }},
      {"routes", [](DaemonConfig& c) { c.routes[0].max_in_flight = 1; }},
      {"route handler", [](DaemonConfig& c) { c.routes[0].handler = c.routes[1].handler; }},
      {"builtins", [](DaemonConfig& c) { c.builtins.readyz = false; }},
      {"middleware.recover", [](DaemonConfig& c) { c.middleware.recover_config.request_id_header = "X-Id"; }},
      {"middleware.request_id", [](DaemonConfig& c) { c.middleware.request_id_config.sample_new_traces = true; }},
      {"middleware.cors", [](DaemonConfig& c) { c.middleware.cors_config.allow_credentials = true; }},
      {"middleware.rate_limit", [](DaemonConfig& c) { c.middleware.rate_limits = {"a"}; }},
      {"trusted_proxies", [](DaemonConfig& c) { c.trusted_proxies = {"10.0.0.0/8"}; }},
      {"use_forwarded_header", [](DaemonConfig& c) { c.use_forwarded_header = true; }},
      {"rate_limits", [](DaemonConfig& c) { c.rate_limits[0].missing_header = MissingKey::kSkip; }},
      {"rate_limits client", [](DaemonConfig& c) { c.rate_limits[0].client_address.trusted_proxies.add("::1"); }},
      {"breakers", [](DaemonConfig& c) { c.breakers[0].failure_statuses.push_back({429, 429}); }},
      {"load_shedding", [](DaemonConfig& c) { c.load_shedding = true; }},
      {"load_shedding.adaptive", [](DaemonConfig& c) { c.load_shedding_config.adaptive.probe_interval = 1ms; }},
      {"metrics", [](DaemonConfig& c) { c.metrics.http.max_series_per_worker = 16; }},
      {"access_log", [](DaemonConfig& c) { c.access_log.log_all_errors = false; }},
  };
  EXPECT_EQ(base(), base());
  for (const auto& [section, edit] : edits) {
    DaemonConfig changed = base();
    edit(changed);
    EXPECT_NE(changed, base()) << section;
  }
}

}  // namespace
}  // namespace surge::detail
