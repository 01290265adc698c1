#include "config/protection_reader.hpp"

#include <algorithm>
#include <cctype>

#include "http/grammar.hpp"

namespace surge::detail {
namespace {

void read_rate_limit_key(ObjectReader& r, RateLimitConfig& c) {
  std::string key = "client_address";
  r.string("key", key);
  constexpr std::string_view kHeaderPrefix = "header:";
  if (key == "client_address") {
    c.key = RateLimitKey::kClientAddress;
  } else if (key == "route") {
    c.key = RateLimitKey::kRoute;
  } else if (key == "none") {
    c.key = RateLimitKey::kNone;
  } else if (key.rfind(kHeaderPrefix, 0) == 0 && is_token(key.substr(kHeaderPrefix.size()))) {
    c.key = RateLimitKey::kHeader;
    c.header = key.substr(kHeaderPrefix.size());
  } else {
    r.fail("key", "expected \"client_address\", \"header:<Header-Name>\", \"route\" or \"none\"");
  }
  std::string missing;
  r.string("missing_header", missing);
  if (missing.empty()) return;
  if (c.key != RateLimitKey::kHeader) r.fail("missing_header", "applies only to a \"header:<Name>\" key");
  if (missing != "share" && missing != "skip") r.fail("missing_header", "expected \"share\" or \"skip\"");
  c.missing_header = missing == "skip" ? MissingKey::kSkip : MissingKey::kShare;
}

void read_rate_limit(ObjectReader& r, RateLimitConfig& c) {
  r.fields(c);  // rate, burst, ipv6_prefix, max_keys, status
  std::string per = "second";
  r.string("per", per);
  if (per != "second" && per != "minute") r.fail("per", "expected \"second\" or \"minute\"");
  c.per = per == "second" ? std::chrono::nanoseconds(std::chrono::seconds(1))
                          : std::chrono::nanoseconds(std::chrono::minutes(1));
  read_rate_limit_key(r, c);
  r.boolean("dry_run", c.dry_run);
  r.boolean("headers", c.headers);
  std::string share;
  r.string("share", share);
  if (share == "split") {
    c.share = RateLimitShare::kSplit;
  } else if (share == "full") {
    c.share = RateLimitShare::kFull;
  } else if (share == "shared") {
    c.share = RateLimitShare::kShared;
  } else if (!share.empty()) {
    r.fail("share", "expected \"split\", \"full\" or \"shared\"");
  }
  r.check([&] { surge::validate(c); });
}

}  // namespace

// 502, or a class "5xx".
void read_status_ranges(ObjectReader& r, const std::string& key, std::vector<StatusRange>& out) {
  const std::optional<JsonValue> list = r.value(key);
  if (!list) return;
  if (!list->is_array()) r.fail(key, "expected an array of statuses (500) or classes (\"5xx\")");
  out.clear();
  const std::vector<JsonValue> elements = list->elements();
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const JsonValue& v = elements[i];
    const std::string at = key + "/" + std::to_string(i);
    const std::optional<std::int64_t> status = v.integer();
    const std::string text = v.is_string() ? v.string() : std::string();
    if (status && kStatusRange.contains(*status)) {
      out.push_back({static_cast<int>(*status), static_cast<int>(*status)});
    } else if (text.size() == 3 && text[0] >= '1' && text[0] <= '5' && text.substr(1) == "xx") {
      const int first = (text[0] - '0') * 100;
      out.push_back({first, first + 99});
    } else {
      r.fail(at, "expected a status from 100 to 599 or a class \"1xx\" to \"5xx\"");
    }
  }
}

namespace {

void read_breaker(ObjectReader& r, CircuitBreakerConfig& c) {
  const bool max_open_given = r.has("max_open_ms");
  r.fields(c);  // the durations and counts
  // Unset, the cap grows to a longer open_ms; set, it must not be shorter (validate()).
  if (!max_open_given) c.max_open = std::max(c.max_open, c.open);
  read_status_ranges(r, "failure_statuses", c.failure_statuses);
  r.boolean("timeouts_are_failures", c.timeouts_are_failures);
  if (const std::optional<JsonValue> force = r.value("force"); force && !force->is_null()) {
    const std::string text = force->is_string() ? force->string() : std::string();
    if (text == "open") {
      c.force = BreakerForce::kOpen;
    } else if (text == "closed") {
      c.force = BreakerForce::kClosed;
    } else {
      r.fail("force", "expected \"open\", \"closed\" or null");
    }
  }
  r.check([&] { surge::validate(c); });
}

void read_adaptive(ObjectReader& r, AdaptiveConcurrencyConfig& c) {
  c.enabled = true;
  r.boolean("enabled", c.enabled);
  r.fields(c);
  r.check([&] { surge::validate(c); });  // enabled or not: a file's settings make sense
}

void read_load_shedding(ObjectReader& r, DaemonConfig& c) {
  c.load_shedding = true;
  r.boolean("enabled", c.load_shedding);
  LoadShedConfig& q = c.load_shedding_config;
  r.fields(q);  // max_in_flight_per_worker, retry_after_s
  r.object("adaptive", [&](ObjectReader& a) { read_adaptive(a, q.adaptive); });
  r.check([&] { surge::validate(q); });
}

// Names of limits and breakers appear in JSON paths, headers and log lines: kept plain, and
// stricter than validate()'s printable names.
bool is_protection_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// "rate_limits" / "breakers": an object of named sections, each read into a Config.
template <class Config>
void read_named(ObjectReader& root, const std::string& key, std::vector<Config>& out,
                void (*read)(ObjectReader&, Config&)) {
  root.members(key, "expected an object of named sections", [&](const std::string& name, JsonValue value) {
    if (!is_protection_name(name)) {
      root.fail(key + "/" + name, "a name is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    ObjectReader r = root.nested(value, key + "/" + name);
    Config config;
    config.name = name;
    read(r, config);
    r.finish();
    out.push_back(std::move(config));
  });
}

template <class Config>
bool defines(const std::vector<Config>& configs, const std::string& name) {
  return std::any_of(configs.begin(), configs.end(), [&](const Config& c) { return c.name == name; });
}

template <class Config>
std::string unknown_name(const std::string& what, const std::string& section, const std::string& name,
                         const std::vector<Config>& configs) {
  std::string message = "unknown " + what + " \"" + name + "\" (";
  if (configs.empty()) return message + "\"" + section + "\" defines none)";
  message += "defined in \"" + section + "\":";
  for (const Config& c : configs) message += " " + c.name;
  return message + ")";
}

}  // namespace

void read_protection(ObjectReader& root, DaemonConfig& c) {
  root.strings("trusted_proxies", c.trusted_proxies);
  root.boolean("use_forwarded_header", c.use_forwarded_header);
  read_named(root, "rate_limits", c.rate_limits, read_rate_limit);
  read_named(root, "breakers", c.breakers, read_breaker);
  root.object("load_shedding", [&](ObjectReader& r) { read_load_shedding(r, c); });
}

void check_protection_names(const DaemonConfig& c, const std::string& file) {
  auto check_limits = [&](const std::vector<std::string>& names, const std::string& path, bool route) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string at = path + "/" + std::to_string(i);
      if (!defines(c.rate_limits, names[i])) {
        throw ConfigError(file, at, unknown_name("rate limit", "rate_limits", names[i], c.rate_limits));
      }
      const auto before = names.begin() + static_cast<std::ptrdiff_t>(i);
      if (std::find(names.begin(), before, names[i]) != before) {
        throw ConfigError(file, at, "rate limit \"" + names[i] + "\" is listed twice");
      }
      const auto& global = c.middleware.rate_limits;
      if (route && std::find(global.begin(), global.end(), names[i]) != global.end()) {
        throw ConfigError(file, at, "rate limit \"" + names[i] +
                                        "\" already applies to every request (middleware.rate_limit)");
      }
    }
  };
  check_limits(c.middleware.rate_limits, "/middleware/rate_limit", false);
  for (const RouteConfig& route : c.routes) {
    check_limits(route.rate_limits, route.json_path + "/rate_limit", true);
    if (!route.breaker.empty() && !defines(c.breakers, route.breaker)) {
      throw ConfigError(file, route.json_path + "/breaker",
                        unknown_name("circuit breaker", "breakers", route.breaker, c.breakers));
    }
  }
  for (const UpstreamConfig& upstream : c.upstreams) {
    if (!upstream.breaker.empty() && !defines(c.breakers, upstream.breaker)) {
      throw ConfigError(file, "/upstreams/" + upstream.name + "/breaker",
                        unknown_name("circuit breaker", "breakers", upstream.breaker, c.breakers));
    }
  }
}

}  // namespace surge::detail
