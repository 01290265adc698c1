// "type": "proxy": forwards the route's requests to one of the "upstreams" (README "Proxy").
//   {"path": "/api/*path", "method": "*", "handler": {"type": "proxy", "upstream": "app",
//    "host": "preserve", "strip_prefix": "/api", "x_forwarded": true, "forwarded": false, "via": false}}

#include <memory>
#include <stdexcept>

#include "config/daemon_config.hpp"
#include "config/handler_kind.hpp"
#include "config/field_rules.hpp"
#include "config/object_reader.hpp"
#include "config/upstream_reader.hpp"
#include "http/grammar.hpp"
#include "proxy/proxy_route.hpp"

namespace surge::detail {
namespace {

struct ProxyHandlerConfig {
  std::string upstream;         // a name from "upstreams"; required
  ForwardOptions forward;
  std::vector<std::string> trusted_proxies;  // the top level's, for X-Forwarded-For
  UpstreamRetry retry;                       // the upstream's, the route's keys over it
  std::optional<ProxyFallback> fallback;
  StaleIfError stale_if_error;

  bool operator==(const ProxyHandlerConfig&) const = default;
};

// {"status": 503, "content_type": "application/json", "body": "{\"degraded\":true}",
//  "headers": {"Retry-After": "5"}}
ProxyFallback read_fallback(ObjectReader& r) {
  ProxyFallback f;
  r.integer("status", f.status, IntRange{200, 599});
  r.string("content_type", f.content_type);
  if (f.content_type.empty() || !is_field_value(f.content_type)) r.fail("content_type", "expected a media type");
  r.string("body", f.body);
  r.members("headers", "expected an object of header names and values", [&](const std::string& name, JsonValue value) {
    if (!is_token(name)) r.fail("headers/" + name, "not a header name");
    for (std::string_view framing : {"content-length", "transfer-encoding", "connection", "content-type"}) {
      if (iequals(name, framing)) r.fail("headers/" + name, "set by surged (content_type for the media type)");
    }
    if (!value.is_string() || !is_field_value(value.string())) r.fail("headers/" + name, "expected a header value");
    f.headers.emplace_back(name, value.string());
  });
  return f;
}

ProxyHandlerConfig read_config(ObjectReader& handler, const HandlerReadContext& route) {
  ProxyHandlerConfig c;
  handler.string("upstream", c.upstream);
  if (c.upstream.empty()) handler.fail("upstream", "the name of one of the \"upstreams\" is required");
  const auto& upstreams = route.config.upstreams;
  const auto upstream = std::find_if(upstreams.begin(), upstreams.end(), [&](const UpstreamConfig& u) { return u.name == c.upstream; });
  if (upstream == upstreams.end()) handler.fail("upstream", "no upstream \"" + c.upstream + "\" in \"upstreams\"");
  c.retry = upstream->retry;
  handler.object("retry", [&](ObjectReader& r) { read_retry(r, c.retry); });
  handler.object("fallback", [&](ObjectReader& r) { c.fallback = read_fallback(r); });
  handler.object("stale_if_error", [&](ObjectReader& r) {
    c.stale_if_error.enabled = true;  // the section's presence
    r.boolean("enabled", c.stale_if_error.enabled);
    r.duration_ms("max_age_ms", c.stale_if_error.max_age, IntRange{1, kOneDayMs});
    r.integer("max_entries", c.stale_if_error.max_entries, IntRange{1, 1000000});
    r.integer("max_body_bytes", c.stale_if_error.max_body_bytes, IntRange{0, 16 << 20});
  });
  std::string host = "preserve";
  handler.string("host", host);
  if (host == "preserve") {
    c.forward.host = HostHeader::kPreserve;
  } else if (host == "upstream") {
    c.forward.host = HostHeader::kUpstream;
  } else if (!host.empty() && is_field_value(host)) {
    c.forward.host = HostHeader::kFixed;
    c.forward.host_value = host;
  } else {
    handler.fail("host", "expected \"preserve\", \"upstream\" or a host name");
  }
  handler.string("strip_prefix", c.forward.strip_prefix);
  if (!c.forward.strip_prefix.empty() &&
      (c.forward.strip_prefix.front() != '/' || c.forward.strip_prefix.back() == '/')) {
    handler.fail("strip_prefix", "a path prefix beginning with '/' and not ending with one (\"/api\")");
  }
  handler.boolean("x_forwarded", c.forward.x_forwarded);
  handler.boolean("forwarded", c.forward.forwarded);
  handler.boolean("via", c.forward.via);
  c.trusted_proxies = route.config.trusted_proxies;
  return c;
}

Handler make_handler(const ProxyHandlerConfig& c, const HandlerBuildContext& route) {
  if (route.upstreams == nullptr) throw std::invalid_argument("proxy routes need the upstreams built");
  const auto it = route.upstreams->find(c.upstream);
  if (it == route.upstreams->end()) throw std::invalid_argument("no upstream \"" + c.upstream + "\"");
  auto proxy = std::make_shared<ProxyRoute>();
  proxy->upstream = it->second;
  proxy->forward = c.forward;
  proxy->retry = c.retry;
  proxy->fallback = c.fallback;
  proxy->stale_if_error = c.stale_if_error;
  for (const std::string& cidr : c.trusted_proxies) proxy->forward.trusted_proxies.add(cidr);
  return make_proxy_handler(std::move(proxy));
}

}  // namespace

HandlerKind proxy_kind() {
  return handler_kind<ProxyHandlerConfig>("proxy", read_config, make_handler, /*streams_body=*/true);
}

}  // namespace surge::detail
