#include "config/upstream_reader.hpp"

#include <algorithm>
#include <cctype>

#include "config/field_rules.hpp"
#include "config/protection_reader.hpp"
#include "http/grammar.hpp"

namespace surge::detail {
namespace {

constexpr IntRange kTimeoutMs{1, kOneDayMs};
constexpr IntRange kResolveMs{0, kOneDayMs};
constexpr IntRange kWeight{1, 1000};
constexpr IntRange kIdlePerHost{0, 100000};
constexpr IntRange kMaxRequests{0, kMaxInt};
constexpr IntRange kMaxTunnels{0, 1000000};
constexpr IntRange kDurationMs{0, kOneDayMs};
constexpr IntRange kRun{0, 1000000};
constexpr IntRange kThreshold{1, 1000};
constexpr IntRange kPercent{0, 100};
constexpr IntRange kTries{1, 16};
constexpr IntRange kCap{0, 10000000};
constexpr IntRange kStatus{100, 599};

bool is_upstream_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

void read_server(ObjectReader& r, UpstreamServerConfig& s) {
  r.string("address", s.address);
  if (s.address.empty()) r.fail("address", "\"host:port\" is required");
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(s.address, host, port)) {
    r.fail("address", "expected \"host:port\" (an IPv6 address in brackets: \"[::1]:9001\")");
  }
  r.integer("weight", s.weight, kWeight);
}

// "least_request", "hash_on": "header:X-User" (or "cookie:sid", "param:id", "client_address").
void read_balance(ObjectReader& r, UpstreamBalance& b) {
  std::string policy;
  r.string("policy", policy);
  static constexpr std::pair<std::string_view, BalancePolicy> kPolicies[] = {
      {"round_robin", BalancePolicy::kRoundRobin}, {"least_request", BalancePolicy::kLeastRequest},
      {"peak_ewma", BalancePolicy::kPeakEwma},     {"ring_hash", BalancePolicy::kRingHash},
      {"maglev", BalancePolicy::kMaglev}};
  if (!policy.empty()) {
    const auto* it = std::find_if(std::begin(kPolicies), std::end(kPolicies), [&](const auto& p) { return p.first == policy; });
    if (it == std::end(kPolicies)) {
      r.fail("policy", "expected \"round_robin\", \"least_request\", \"peak_ewma\", \"ring_hash\" or \"maglev\"");
    }
    b.policy = it->second;
  }
  std::string hash_on;
  r.string("hash_on", hash_on);
  const std::size_t colon = hash_on.find(':');
  const std::string source = hash_on.substr(0, colon);
  b.hash_name = colon == std::string::npos ? std::string() : hash_on.substr(colon + 1);
  if (hash_on.empty()) {
    b.hash_on = HashSource::kNone;
  } else if (hash_on == "client_address") {
    b.hash_on = HashSource::kClientAddress;
  } else if (source == "header" && is_token(b.hash_name)) {
    b.hash_on = HashSource::kHeader;
  } else if (source == "cookie" && is_token(b.hash_name)) {
    b.hash_on = HashSource::kCookie;
  } else if (source == "param" && !b.hash_name.empty()) {
    b.hash_on = HashSource::kParam;
  } else {
    r.fail("hash_on", "expected \"header:<name>\", \"cookie:<name>\", \"param:<name>\" or \"client_address\"");
  }
  const bool hashing = b.policy == BalancePolicy::kRingHash || b.policy == BalancePolicy::kMaglev;
  if (hashing && b.hash_on == HashSource::kNone) r.fail("hash_on", "ring_hash and maglev need a key to hash");
  if (!hashing && b.hash_on != HashSource::kNone) r.fail("hash_on", "only ring_hash and maglev hash a key");
  r.duration_ms("ewma_decay_ms", b.ewma_decay, kTimeoutMs);
  r.duration_ms("slow_start_ms", b.slow_start, kDurationMs);
}

void read_outlier_detection(ObjectReader& r, UpstreamOutlierDetection& o) {
  r.boolean("enabled", o.enabled);
  r.integer("consecutive_5xx", o.consecutive_5xx, kRun);
  r.integer("consecutive_gateway_failures", o.consecutive_gateway_failures, kRun);
  const bool max_given = r.has("max_ejection_ms");
  r.duration_ms("base_ejection_ms", o.base_ejection, kTimeoutMs);
  r.duration_ms("max_ejection_ms", o.max_ejection, kTimeoutMs);
  // Unset, the cap grows to a longer base time; set, it must not be shorter.
  if (!max_given) o.max_ejection = std::max(o.max_ejection, o.base_ejection);
  r.integer("failure_percent", o.failure_percent, kPercent);
  r.integer("failure_percent_min_requests", o.failure_percent_min_requests, kRun);
  r.duration_ms("interval_ms", o.interval, kTimeoutMs);
  r.integer("max_ejection_percent", o.max_ejection_percent, kPercent);
  r.integer("panic_threshold_percent", o.panic_threshold_percent, kPercent);
  if (o.max_ejection < o.base_ejection) r.fail("max_ejection_ms", "must not be shorter than base_ejection_ms");
}

void read_health_check(ObjectReader& r, UpstreamHealthCheck& h) {
  h.enabled = true;  // the section's presence turns it on
  r.boolean("enabled", h.enabled);
  std::string type = "http";
  r.string("type", type);
  if (type != "http" && type != "tcp") r.fail("type", "expected \"http\" or \"tcp\"");
  h.tcp = type == "tcp";
  r.string("path", h.path);
  const bool visible = std::all_of(h.path.begin(), h.path.end(), [](char ch) { return ch > ' ' && ch < 0x7f; });
  if (h.path.empty() || h.path.front() != '/' || !visible) {
    r.fail("path", "expected a path beginning with '/'");
  }
  r.string("host", h.host);
  if (!h.host.empty() && !is_field_value(h.host)) r.fail("host", "expected a host name");
  r.duration_ms("interval_ms", h.interval, kTimeoutMs);
  r.duration_ms("jitter_ms", h.jitter, kDurationMs);
  r.duration_ms("timeout_ms", h.timeout, kTimeoutMs);
  r.integer("healthy_threshold", h.healthy_threshold, kThreshold);
  r.integer("unhealthy_threshold", h.unhealthy_threshold, kThreshold);
  read_status_ranges(r, "expected_statuses", h.expected_statuses);
  if (h.expected_statuses.empty()) r.fail("expected_statuses", "at least one status");
}

void read_limits(ObjectReader& r, UpstreamLimits& l) {
  r.integer("max_requests", l.max_requests, kCap);
  r.integer("max_pending", l.max_pending, kCap);
}

void read_upstream(ObjectReader& r, UpstreamConfig& c) {
  r.elements("servers", "expected an array of servers", [&](ObjectReader& s) {
    UpstreamServerConfig server;
    read_server(s, server);
    c.servers.push_back(std::move(server));
  });
  if (c.servers.empty()) r.fail("servers", "at least one server is required");
  r.object("timeouts", [&](ObjectReader& t) {
    t.duration_ms("connect_ms", c.timeouts.connect, kTimeoutMs);
    t.duration_ms("read_ms", c.timeouts.read, kTimeoutMs);
    t.duration_ms("send_ms", c.timeouts.send, kTimeoutMs);
  });
  r.object("keepalive", [&](ObjectReader& k) {
    k.integer("idle_per_host", c.keepalive.idle_per_host, kIdlePerHost);
    k.duration_ms("idle_timeout_ms", c.keepalive.idle_timeout, kTimeoutMs);
    k.integer("max_requests", c.keepalive.max_requests, kMaxRequests);
    k.duration_ms("max_lifetime_ms", c.keepalive.max_lifetime, kTimeoutMs);
  });
  r.object("tunnels", [&](ObjectReader& t) {
    t.duration_ms("idle_timeout_ms", c.tunnels.idle_timeout, kTimeoutMs);
    t.integer("max_per_worker", c.tunnels.max_per_worker, kMaxTunnels);
  });
  r.duration_ms("resolve_every_ms", c.resolve_every, kResolveMs);
  r.object("balance", [&](ObjectReader& b) { read_balance(b, c.balance); });
  r.object("outlier_detection", [&](ObjectReader& o) { read_outlier_detection(o, c.outlier_detection); });
  r.object("health_check", [&](ObjectReader& h) { read_health_check(h, c.health_check); });
  r.object("retry", [&](ObjectReader& t) { read_retry(t, c.retry); });
  r.object("limits", [&](ObjectReader& l) { read_limits(l, c.limits); });
  r.string("breaker", c.breaker);
}

}  // namespace

void read_retry(ObjectReader& r, UpstreamRetry& t) {
  std::vector<std::string> on;
  if (r.has("on")) {
    r.strings("on", on);
    t.on_connect_failure = t.on_reset = t.on_timeout = false;
    for (std::size_t i = 0; i < on.size(); ++i) {
      if (on[i] == "connect_failure") {
        t.on_connect_failure = true;
      } else if (on[i] == "reset") {
        t.on_reset = true;
      } else if (on[i] == "timeout") {
        t.on_timeout = true;
      } else {
        r.fail("on/" + std::to_string(i), "expected \"connect_failure\", \"reset\" or \"timeout\"");
      }
    }
  }
  if (const std::optional<JsonValue> list = r.value("statuses")) {
    if (!list->is_array()) r.fail("statuses", "expected an array of statuses (503)");
    t.statuses.clear();
    const std::vector<JsonValue> elements = list->elements();
    for (std::size_t i = 0; i < elements.size(); ++i) {
      const std::optional<std::int64_t> status = elements[i].integer();
      if (!status || !kStatus.contains(*status)) r.fail("statuses/" + std::to_string(i), "expected a status from 100 to 599");
      t.statuses.push_back(static_cast<int>(*status));
    }
  }
  r.integer("tries", t.tries, kTries);
  r.boolean("non_idempotent", t.non_idempotent);
  r.duration_ms("per_try_timeout_ms", t.per_try_timeout, kDurationMs);
  r.duration_ms("backoff_base_ms", t.backoff_base, kDurationMs);
  r.duration_ms("backoff_max_ms", t.backoff_max, kTimeoutMs);
  if (t.backoff_max < t.backoff_base) r.fail("backoff_max_ms", "must not be shorter than backoff_base_ms");
  r.integer("budget_percent", t.budget_percent, kPercent);
  r.integer("budget_min", t.budget_min, kRun);
}

void read_upstreams(ObjectReader& root, DaemonConfig& config) {
  root.members("upstreams", "expected an object of named upstreams", [&](const std::string& name, JsonValue value) {
    if (!is_upstream_name(name)) {
      root.fail("upstreams/" + name, "a name is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    ObjectReader r = root.nested(value, "upstreams/" + name);
    UpstreamConfig upstream;
    upstream.name = name;
    read_upstream(r, upstream);
    r.finish();
    config.upstreams.push_back(std::move(upstream));
  });
}

}  // namespace surge::detail
