#include "config/upstream_reader.hpp"

#include <algorithm>
#include <cctype>

#include "config/field_rules.hpp"

namespace surge::detail {
namespace {

constexpr IntRange kTimeoutMs{1, kOneDayMs};
constexpr IntRange kResolveMs{0, kOneDayMs};
constexpr IntRange kWeight{1, 1000};
constexpr IntRange kIdlePerHost{0, 100000};
constexpr IntRange kMaxRequests{0, kMaxInt};
constexpr IntRange kMaxTunnels{0, 1000000};

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
}

}  // namespace

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
