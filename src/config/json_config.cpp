#include "config/json_config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <surge/error.hpp>

#include "config/listen_address.hpp"
#include "http/grammar.hpp"

namespace surge::detail {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// Reads one JSON object, remembering which keys were consumed so that finish() can reject the
/// rest. Every error names the file and the JSON path (RFC 6901 pointer) of the key.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, const std::string& file)
      : object_(object), path_(std::move(path)), file_(file) {
    if (!object_.is_object()) throw ConfigError(file_, path_.empty() ? "/" : path_, "expected an object");
  }

  bool has(const std::string& key) const { return object_.contains(key); }
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& key) const { return path_ + "/" + key; }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    throw ConfigError(file_, path_of(key), message);
  }

  template <class T>
  void integer(const std::string& key, T& out, std::int64_t min, std::int64_t max) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_number_integer() && !value->is_number_unsigned()) fail(key, "expected an integer");
    if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
      fail(key, range_message(min, max));
    }
    auto n = value->get<std::int64_t>();
    if (n < min || n > max) fail(key, range_message(min, max));
    out = static_cast<T>(n);
  }

  void duration_ms(const std::string& key, milliseconds& out, std::int64_t min, std::int64_t max) {
    std::int64_t n = out.count();
    integer(key, n, min, max);
    out = milliseconds(n);
  }

  void boolean(const std::string& key, bool& out) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_boolean()) fail(key, "expected true or false");
    out = value->get<bool>();
  }

  void string(const std::string& key, std::string& out) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_string()) fail(key, "expected a string");
    out = value->get<std::string>();
  }

  void strings(const std::string& key, std::vector<std::string>& out) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_array()) fail(key, "expected an array of strings");
    out.clear();
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        throw ConfigError(file_, path_of(key) + "/" + std::to_string(i), "expected a string");
      }
      out.push_back((*value)[i].get<std::string>());
    }
  }

  void number(const std::string& key, double& out, double min, double max) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_number()) fail(key, "expected a number");
    double n = value->get<double>();
    if (!(n >= min && n <= max)) {
      fail(key, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    out = n;
  }

  /// An array of increasing positive numbers (histogram bounds).
  void bounds(const std::string& key, std::vector<double>& out) {
    const json* value = take(key);
    if (value == nullptr) return;
    if (!value->is_array() || value->empty()) fail(key, "expected a non-empty array of numbers");
    std::vector<double> parsed;
    for (std::size_t i = 0; i < value->size(); ++i) {
      const json& v = (*value)[i];
      if (!v.is_number() || v.get<double>() <= 0 || (!parsed.empty() && v.get<double>() <= parsed.back())) {
        throw ConfigError(file_, path_of(key) + "/" + std::to_string(i),
                          "expected positive numbers in increasing order");
      }
      parsed.push_back(v.get<double>());
    }
    out = std::move(parsed);
  }

  /// The raw value of key (consumed), or null if absent.
  const json* raw(const std::string& key) { return take(key); }

  /// Calls read(ObjectReader&) on the sub-object if present.
  template <class F>
  void object(const std::string& key, F&& read) {
    const json* value = take(key);
    if (value == nullptr) return;
    ObjectReader sub(*value, path_of(key), file_);
    read(sub);
    sub.finish();
  }

  /// Every key must have been read: anything else is a typo or an unsupported setting.
  void finish() const {
    for (const auto& [key, value] : object_.items()) {
      if (seen_.count(key) != 0) continue;
      std::string message = "unknown key";
      std::string best;
      std::size_t best_distance = 3;
      for (const std::string& known : seen_) {
        std::size_t d = edit_distance(key, known);
        if (d < best_distance) {
          best_distance = d;
          best = known;
        }
      }
      if (!best.empty()) message += " (did you mean \"" + best + "\"?)";
      throw ConfigError(file_, path_of(key), message);
    }
  }

 private:
  const json* take(const std::string& key) {
    seen_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  static std::string range_message(std::int64_t min, std::int64_t max) {
    return "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
  }

  const json& object_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> seen_;  // every key this section knows (read, or asked for and absent)
};

/// The first pass over a configuration's text, before any document is built: nlohmann's event
/// (SAX) parser keeps only a stack of flags, so it reads any text without recursing. It finds
/// what the document would hide or choke on, with the JSON path where it is: a number too large
/// for a double (1e999: nlohmann throws out_of_range, not parse_error, while building a
/// document), and nesting deeper than kMaxNesting. The document is built only after this pass,
/// so no deep document ever exists: its copies, comparisons and dump() recurse once per level,
/// and 100,000 levels overflow the stack.
class DocumentCheck final : public nlohmann::json_sax<json> {
 public:
  static constexpr std::size_t kMaxNesting = 64;

  /// Throws ConfigError naming file and the JSON path of the problem, if there is one.
  static void run(std::string_view text, const std::string& file) {
    DocumentCheck check;
    if (json::sax_parse(text.begin(), text.end(), &check, nlohmann::json::input_format_t::json,
                        /*strict=*/true, /*ignore_comments=*/false)) {
      return;
    }
    throw ConfigError(file, check.error_path_, check.error_);
  }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override { return open(false); }
  bool key(string_t& key) override {
    frames_.back().key = key;
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string& token,
                   const nlohmann::detail::exception& e) override {
    if (e.id == 406) {
      // out_of_range.406: the number does not fit a double.
      error_path_ = path();
      error_ = "number out of range: " + token.substr(0, 40);
    } else {
      error_ = std::string("not valid JSON: ") + e.what();
    }
    return false;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index = 0;  // array: the element being read
    std::string key;        // object: the member being read
  };

  bool open(bool array) {
    if (frames_.size() == kMaxNesting) {
      error_path_ = path();
      error_ = "nested deeper than " + std::to_string(kMaxNesting) +
               " levels (the limit for a configuration document)";
      return false;
    }
    frames_.push_back({array, 0, {}});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return value();
  }
  bool value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  std::string path() const {
    std::string out;
    for (const Frame& f : frames_) out += "/" + (f.array ? std::to_string(f.index) : f.key);
    return out;
  }

  std::vector<Frame> frames_;
  std::string error_path_;
  std::string error_;
};

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kOneGiB = 1LL << 30;
constexpr std::int64_t kOneDayMs = 24LL * 3600 * 1000;
constexpr std::int64_t kMaxInFlight = 1'000'000;

void read_limits(ObjectReader& r, LimitsConfig& c) {
  r.integer("max_request_line_bytes", c.max_request_line_bytes, 64, 1 << 20);
  r.integer("max_header_bytes", c.max_header_bytes, 256, 1 << 20);
  r.integer("max_header_count", c.max_header_count, 1, 1000);
  r.integer("max_body_bytes", c.max_body_bytes, 0, kOneGiB);
  r.integer("max_connections_per_worker", c.max_connections_per_worker, 1, 1 << 22);
  r.integer("max_requests_per_connection", c.max_requests_per_connection, 0, kMaxInt);
  r.integer("max_pipelined_responses", c.max_pipelined_responses, 1, 4096);
}

void read_timeouts(ObjectReader& r, TimeoutsConfig& c) {
  r.duration_ms("header_ms", c.header, 1, kOneDayMs);
  r.duration_ms("body_ms", c.body, 1, kOneDayMs);
  r.integer("body_min_bytes_per_s", c.body_min_bytes_per_s, 0, kOneGiB);
  r.integer("send_min_bytes_per_s", c.send_min_bytes_per_s, 0, kOneGiB);
  r.duration_ms("min_rate_grace_ms", c.min_rate_grace, 1, kOneDayMs);
  r.duration_ms("idle_ms", c.idle, 1, kOneDayMs);
  r.duration_ms("write_ms", c.write, 1, kOneDayMs);
  r.duration_ms("linger_ms", c.linger, 1, kOneDayMs);
  r.duration_ms("handler_ms", c.handler, 1, kOneDayMs);
}

void read_offload(ObjectReader& r, OffloadConfig& c) {
  r.integer("threads", c.threads, 0, 1024);
  r.integer("queue", c.queue, 1, 1 << 20);
}

void read_shutdown(ObjectReader& r, ShutdownConfig& c) {
  r.duration_ms("drain_delay_ms", c.drain_delay, 0, kOneDayMs);
  r.duration_ms("timeout_ms", c.timeout, 0, kOneDayMs);
}

void read_pools(ObjectReader& r, PoolsConfig& c) {
  r.integer("buffer_bytes", c.buffer_bytes, 1024, 1 << 20);
  r.integer("buffers_per_worker", c.buffers_per_worker, 0, 1 << 22);
  r.integer("contexts_per_worker", c.contexts_per_worker, 0, 1 << 22);
  r.duration_ms("release_idle_after_ms", c.release_idle_after, 1, kOneDayMs);
}

void read_log(ObjectReader& r, LogConfig& c) {
  r.string("level", c.level);
  static const std::set<std::string> kLevels = {"trace", "debug", "info",    "warn",
                                                "error", "critical", "off"};
  if (kLevels.count(c.level) == 0) {
    r.fail("level", "expected one of trace, debug, info, warn, error, critical, off");
  }
}

void read_headers(ObjectReader& r, const std::string& key, HeaderList& out) {
  const json* value = r.raw(key);
  if (value == nullptr) return;
  if (!value->is_object()) r.fail(key, "expected an object of header names to string values");
  for (const auto& [name, v] : value->items()) {
    if (!is_token(name)) r.fail(key + "/" + name, "not a valid header name");
    if (is_engine_field(name)) r.fail(key + "/" + name, "this header is set by the server");
    if (!v.is_string() || !is_field_value(v.get<std::string>())) {
      r.fail(key + "/" + name, "expected a string without control characters");
    }
    out.emplace_back(name, v.get<std::string>());
  }
}

// Every {name} must be a parameter of the route (in text, "{{" is a literal '{').
void check_placeholders(ObjectReader& r, const std::string& key, std::string_view text,
                        const std::vector<std::string>& params, const std::string& pattern,
                        bool brace_escapes) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    if (brace_escapes && i + 1 < text.size() && text[i + 1] == '{') {
      ++i;
      continue;
    }
    auto close = text.find('}', i);
    if (close == std::string_view::npos) continue;
    std::string_view name = text.substr(i + 1, close - i - 1);
    bool identifier = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!identifier) continue;  // not a placeholder: "{ }", JSON braces in a text body...
    if (std::find(params.begin(), params.end(), name) == params.end()) {
      r.fail(key, "{" + std::string(name) + "} is not a parameter of " + pattern);
    }
    i = close;
  }
}

int read_status(ObjectReader& r) {
  int status = 200;
  r.integer("status", status, 200, 599);
  return status;
}

HandlerConfig read_handler(ObjectReader& r, const std::string& pattern) {
  std::string type;
  r.string("type", type);
  const std::vector<std::string> params = pattern_parameters(pattern);
  if (type == "text") {
    TextHandlerConfig h;
    h.status = read_status(r);
    r.string("body", h.body);
    r.string("content_type", h.content_type);
    if (!is_field_value(h.content_type)) r.fail("content_type", "control characters are not allowed");
    read_headers(r, "headers", h.headers);
    check_placeholders(r, "body", h.body, params, pattern, true);
    return h;
  }
  if (type == "json") {
    JsonHandlerConfig h;
    h.status = read_status(r);
    if (const json* body = r.raw("body")) h.body_json = body->dump();
    read_headers(r, "headers", h.headers);
    check_placeholders(r, "body", h.body_json, params, pattern, false);
    return h;
  }
  if (type == "echo") return EchoHandlerConfig{};
  if (type == "files") {
    FilesHandlerConfig h;
    r.string("root", h.root);
    if (h.root.empty()) r.fail("root", "a directory is required");
    r.string("index", h.index);
    std::int64_t max_age = 0;
    r.integer("max_age_s", max_age, 0, 10LL * 365 * 24 * 3600);
    h.max_age = std::chrono::seconds(max_age);
    if (params.empty() || pattern.find('*') == std::string::npos) {
      r.fail("type", "a files route needs a pattern ending in a catch-all, such as /static/*path");
    }
    return h;
  }
  r.fail("type", type.empty() ? "required: text, json, echo or files"
                              : "\"" + type + "\" is not one of text, json, echo, files");
}

RouteConfig read_route(ObjectReader& r) {
  RouteConfig route;
  route.json_path = r.path();
  r.string("path", route.path);
  if (route.path.empty() || route.path.front() != '/') r.fail("path", "a pattern beginning with '/' is required");
  if (const json* method = r.raw("method")) {
    route.methods.clear();
    std::vector<json> names = method->is_array() ? method->get<std::vector<json>>() : std::vector<json>{*method};
    for (const json& name : names) {
      Method m;
      if (!name.is_string() || !parse_method(name.get<std::string>(), m)) {
        r.fail("method", "expected GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS or TRACE (or a list)");
      }
      route.methods.push_back(m);
    }
    if (route.methods.empty()) r.fail("method", "at least one method is required");
  }
  r.integer("max_body_bytes", route.max_body_bytes, 0, kOneGiB);
  r.duration_ms("timeout_ms", route.timeout, 0, kOneDayMs);
  r.strings("rate_limit", route.rate_limits);
  r.string("breaker", route.breaker);
  r.integer("max_in_flight", route.max_in_flight, 0, kMaxInFlight);
  if (!r.has("handler")) r.fail("handler", "required");
  r.object("handler", [&](ObjectReader& h) { route.handler = read_handler(h, route.path); });
  return route;
}

void read_routes(ObjectReader& root, const std::string& file, std::vector<RouteConfig>& routes) {
  const json* list = root.raw("routes");
  if (list == nullptr) return;
  if (!list->is_array()) root.fail("routes", "expected an array of routes");
  routes.clear();
  for (std::size_t i = 0; i < list->size(); ++i) {
    ObjectReader r((*list)[i], "/routes/" + std::to_string(i), file);
    routes.push_back(read_route(r));
    r.finish();
  }
}

void read_header_name(ObjectReader& r, const std::string& key, std::string& out, bool may_be_empty) {
  r.string(key, out);
  if ((out.empty() && !may_be_empty) || (!out.empty() && !is_token(out))) {
    r.fail(key, "expected a header field name");
  }
}

void read_tokens(ObjectReader& r, const std::string& key, std::vector<std::string>& out) {
  r.strings(key, out);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!is_field_value(out[i]) || out[i].empty() || out[i].find(',') != std::string::npos) {
      r.fail(key + "/" + std::to_string(i), "expected a single non-empty value without commas or control characters");
    }
  }
}

void read_middleware(ObjectReader& r, MiddlewareConfig& c) {
  r.object("recover", [&](ObjectReader& m) {
    m.boolean("enabled", c.recover);
    read_header_name(m, "request_id_header", c.recover_config.request_id_header, true);
  });
  r.object("request_id", [&](ObjectReader& m) {
    RequestIdConfig& q = c.request_id_config;
    m.boolean("enabled", c.request_id);
    read_header_name(m, "header", q.header, false);
    m.boolean("accept_incoming", q.accept_incoming);
    m.integer("max_length", q.max_length, 1, 1024);
    m.boolean("trace", q.trace);
    m.boolean("start_trace", q.start_trace);
    m.boolean("sample_new_traces", q.sample_new_traces);
    m.boolean("request_id_from_trace", q.request_id_from_trace);
    read_header_name(m, "trace_response_header", q.trace_response_header, true);
    c.recover_config.request_id_header = q.header;
  });
  r.object("cors", [&](ObjectReader& m) {
    CorsConfig& q = c.cors_config;
    c.cors = true;
    m.boolean("enabled", c.cors);
    read_tokens(m, "allowed_origins", q.allowed_origins);
    read_tokens(m, "allowed_methods", q.allowed_methods);
    read_tokens(m, "allowed_headers", q.allowed_headers);
    read_tokens(m, "exposed_headers", q.exposed_headers);
    m.boolean("allow_credentials", q.allow_credentials);
    m.integer("max_age_s", q.max_age, 0, 7 * 24 * 3600);
    if (c.cors && q.allowed_origins.empty()) m.fail("allowed_origins", "at least one origin (or \"*\") is required");
  });
  r.strings("rate_limit", c.rate_limits);
}

// --- Traffic protection: "trusted_proxies", "rate_limits", "breakers", "load_shedding" ---

// Names of limits and breakers appear in JSON paths, headers and log lines: kept plain.
bool is_protection_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

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
  r.integer("rate", c.rate, 1, 1'000'000'000);
  std::string per = "second";
  r.string("per", per);
  if (per != "second" && per != "minute") r.fail("per", "expected \"second\" or \"minute\"");
  c.per = per == "second" ? std::chrono::nanoseconds(std::chrono::seconds(1))
                          : std::chrono::nanoseconds(std::chrono::minutes(1));
  r.integer("burst", c.burst, 1, 1'000'000'000);
  read_rate_limit_key(r, c);
  r.integer("ipv6_prefix", c.ipv6_prefix, 1, 128);
  r.integer("max_keys", c.max_keys, 1, 1 << 24);
  r.integer("status", c.status, 400, 599);
  r.boolean("dry_run", c.dry_run);
  r.boolean("headers", c.headers);
  std::string share;
  r.string("share", share);
  if (share == "split") {
    c.share = RateLimitShare::kSplit;
  } else if (share == "full") {
    c.share = RateLimitShare::kFull;
  } else if (share == "shared") {
    if (c.key != RateLimitKey::kNone) {
      r.fail("share", "\"shared\" applies only to \"key\": \"none\" (one bucket for the process)");
    }
    c.share = RateLimitShare::kShared;
  } else if (!share.empty()) {
    r.fail("share", "expected \"split\", \"full\" or \"shared\"");
  }
}

void read_failure_statuses(ObjectReader& r, std::vector<StatusRange>& out) {
  const json* list = r.raw("failure_statuses");
  if (list == nullptr) return;
  if (!list->is_array()) r.fail("failure_statuses", "expected an array of statuses (500) or classes (\"5xx\")");
  out.clear();
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& v = (*list)[i];
    const std::string key = "failure_statuses/" + std::to_string(i);
    if (v.is_number_integer() && v.get<std::int64_t>() >= 100 && v.get<std::int64_t>() <= 599) {
      const int status = v.get<int>();
      out.push_back({status, status});
    } else if (v.is_string() && v.get<std::string>().size() == 3 && v.get<std::string>()[0] >= '1' &&
               v.get<std::string>()[0] <= '5' && v.get<std::string>().substr(1) == "xx") {
      const int first = (v.get<std::string>()[0] - '0') * 100;
      out.push_back({first, first + 99});
    } else {
      r.fail(key, "expected a status from 100 to 599 or a class \"1xx\" to \"5xx\"");
    }
  }
}

void read_breaker(ObjectReader& r, CircuitBreakerConfig& c) {
  r.duration_ms("window_ms", c.window, 1, kOneDayMs);
  r.integer("window_buckets", c.window_buckets, 1, 1000);
  if (c.window.count() < c.window_buckets) r.fail("window_ms", "must be at least window_buckets milliseconds");
  r.integer("min_requests", c.min_requests, 1, kMaxInt);
  r.integer("failure_percent", c.failure_percent, 0, 100);
  r.duration_ms("slow_call_ms", c.slow_call, 1, kOneDayMs);
  r.integer("slow_call_percent", c.slow_call_percent, 0, 100);
  r.integer("consecutive_failures", c.consecutive_failures, 0, kMaxInt);
  r.duration_ms("open_ms", c.open, 1, kOneDayMs);
  r.integer("open_multiplier_percent", c.open_multiplier_percent, 100, 10'000);
  const bool has_max_open = r.has("max_open_ms");
  r.duration_ms("max_open_ms", c.max_open, 1, kOneDayMs);
  if (!has_max_open) {
    c.max_open = std::max(c.max_open, c.open);
  } else if (c.max_open < c.open) {
    r.fail("max_open_ms", "must not be shorter than open_ms");
  }
  r.integer("half_open_max_calls", c.half_open_max_calls, 1, 10'000);
  read_failure_statuses(r, c.failure_statuses);
  r.boolean("timeouts_are_failures", c.timeouts_are_failures);
  if (const json* force = r.raw("force"); force != nullptr && !force->is_null()) {
    if (*force == "open") {
      c.force = BreakerForce::kOpen;
    } else if (*force == "closed") {
      c.force = BreakerForce::kClosed;
    } else {
      r.fail("force", "expected \"open\", \"closed\" or null");
    }
  }
}

void read_adaptive(ObjectReader& r, AdaptiveConcurrencyConfig& c) {
  c.enabled = true;
  r.boolean("enabled", c.enabled);
  r.integer("initial_limit", c.initial_limit, 1, kMaxInFlight);
  r.integer("min_limit", c.min_limit, 1, kMaxInFlight);
  r.integer("max_limit", c.max_limit, 1, kMaxInFlight);
  r.duration_ms("window_ms", c.window, 1, kOneDayMs);
  r.integer("min_samples", c.min_samples, 1, kMaxInFlight);
  r.integer("tolerance_percent", c.tolerance_percent, 100, 10'000);
  r.integer("backoff_percent", c.backoff_percent, 0, 100);
  r.integer("increase", c.increase, 0, kMaxInFlight);
  r.duration_ms("probe_interval_ms", c.probe_interval, 0, kOneDayMs);
  if (c.min_limit > c.max_limit) r.fail("min_limit", "must not exceed max_limit");
  if (c.initial_limit < c.min_limit || c.initial_limit > c.max_limit) {
    r.fail("initial_limit", "must be within min_limit..max_limit");
  }
}

void read_load_shedding(ObjectReader& r, DaemonConfig& c) {
  c.load_shedding = true;
  r.boolean("enabled", c.load_shedding);
  LoadShedConfig& q = c.load_shedding_config;
  r.integer("max_in_flight_per_worker", q.max_in_flight_per_worker, 1, kMaxInFlight);
  r.integer("retry_after_s", q.retry_after_s, 1, 3600);
  r.object("adaptive", [&](ObjectReader& a) { read_adaptive(a, q.adaptive); });
}

// "rate_limits" / "breakers": an object of named sections, each read into a Config.
template <class Config, class Read>
void read_named(ObjectReader& root, const std::string& key, const std::string& file,
                std::vector<Config>& out, Read read) {
  const json* sections = root.raw(key);
  if (sections == nullptr) return;
  if (!sections->is_object()) root.fail(key, "expected an object of named sections");
  for (const auto& [name, value] : sections->items()) {
    if (!is_protection_name(name)) {
      throw ConfigError(file, root.path_of(key) + "/" + name,
                        "a name is 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'");
    }
    ObjectReader r(value, root.path_of(key) + "/" + name, file);
    Config config;
    config.name = name;
    read(r, config);
    r.finish();
    out.push_back(std::move(config));
  }
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

// Every name a middleware list or a route refers to must be defined, once per list; a limit on
// every request cannot also be on a route (it would count those requests twice).
void check_protection_names(const DaemonConfig& c, const std::string& file) {
  auto check_limits = [&](const std::vector<std::string>& names, const std::string& path, bool route) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string at = path + "/" + std::to_string(i);
      if (!defines(c.rate_limits, names[i])) {
        throw ConfigError(file, at, unknown_name("rate limit", "rate_limits", names[i], c.rate_limits));
      }
      if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
          names.begin() + static_cast<std::ptrdiff_t>(i)) {
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
}

void read_protection(ObjectReader& root, const std::string& file, DaemonConfig& c) {
  root.strings("trusted_proxies", c.trusted_proxies);
  root.boolean("use_forwarded_header", c.use_forwarded_header);
  read_named(root, "rate_limits", file, c.rate_limits, read_rate_limit);
  read_named(root, "breakers", file, c.breakers, read_breaker);
  root.object("load_shedding", [&](ObjectReader& r) { read_load_shedding(r, c); });
}

void read_metrics(ObjectReader& r, MetricsConfig& c) {
  r.boolean("enabled", c.enabled);
  r.string("listen", c.listen);
  if (!c.listen.empty()) {
    std::string error;
    if (!parse_listen_address(c.listen, error)) r.fail("listen", "\"" + c.listen + "\" is not a listen address: " + error);
  }
  r.string("path", c.path);
  if (c.path.empty() || c.path.front() != '/' || c.path.find_first_of(":*?# ") != std::string::npos) {
    r.fail("path", "expected a plain path beginning with '/'");
  }
  r.boolean("serve_on_main_listener", c.serve_on_main_listener);
  r.bounds("duration_buckets_s", c.http.duration_buckets);
  r.bounds("size_buckets_bytes", c.http.size_buckets);
  r.integer("max_series_per_worker", c.http.max_series_per_worker, 16, 1 << 20);
}

void read_access_log(ObjectReader& r, AccessLogConfig& c) {
  r.boolean("enabled", c.enabled);
  std::string format = c.format == AccessLogConfig::Format::kJson ? "json" : "combined";
  r.string("format", format);
  if (format != "combined" && format != "json") r.fail("format", "expected \"combined\" or \"json\"");
  c.format = format == "json" ? AccessLogConfig::Format::kJson : AccessLogConfig::Format::kCombined;
  std::string output = c.output == AccessLogConfig::Output::kFile ? "file" : "stdout";
  r.string("output", output);
  if (output != "stdout" && output != "file") r.fail("output", "expected \"stdout\" or \"file\"");
  c.output = output == "file" ? AccessLogConfig::Output::kFile : AccessLogConfig::Output::kStdout;
  r.string("path", c.path);
  if (c.output == AccessLogConfig::Output::kFile && c.path.empty()) r.fail("path", "required when output is \"file\"");
  r.number("sample", c.sample, 0.0, 1.0);
  r.boolean("log_all_errors", c.log_all_errors);
  r.integer("queue_size", c.queue_size, 1, 1 << 22);
}

void read_builtins(ObjectReader& r, BuiltinsConfig& c) {
  r.boolean("healthz", c.healthz);
  r.boolean("readyz", c.readyz);
}

}  // namespace

std::vector<std::string> pattern_parameters(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if ((pattern[i] == ':' || pattern[i] == '*') && i > 0 && pattern[i - 1] == '/') {
      auto end = pattern.find('/', i);
      names.emplace_back(pattern.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
    }
  }
  return names;
}

std::vector<RouteConfig> default_routes() {
  std::vector<RouteConfig> routes(3);
  routes[0].path = "/plaintext";
  routes[0].handler = TextHandlerConfig{200, "Hello, World!", "text/plain; charset=utf-8", {}};
  routes[1].path = "/json";
  routes[1].handler = JsonHandlerConfig{200, json{{"message", "Hello, World!"}}.dump(), {}};
  routes[2].path = "/users/:id";
  routes[2].handler = JsonHandlerConfig{200, json{{"id", "{id}"}, {"name", "user-{id}"}}.dump(), {}};
  for (std::size_t i = 0; i < routes.size(); ++i) routes[i].json_path = "built-in route " + std::to_string(i);
  return routes;
}

void validate(const ServerConfig& c, const std::string& file) {
  if (c.listen.empty()) throw ConfigError(file, "/listen", "at least one address is required");
  for (std::size_t i = 0; i < c.listen.size(); ++i) {
    std::string error;
    if (!parse_listen_address(c.listen[i], error)) {
      throw ConfigError(file, "/listen/" + std::to_string(i),
                        "\"" + c.listen[i] + "\" is not a listen address: " + error);
    }
  }
  if (c.threads > 1024) throw ConfigError(file, "/threads", "expected at most 1024 workers");
  if (c.limits.max_request_line_bytes > c.limits.max_header_bytes) {
    throw ConfigError(file, "/limits/max_request_line_bytes",
                      "must not exceed limits.max_header_bytes");
  }
  for (char ch : c.server_header) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      throw ConfigError(file, "/server_header", "must not contain control characters");
    }
  }
}

namespace {

DaemonConfig read_config(const json& document, const std::string& file) {
  DaemonConfig config;
  ObjectReader root(document, "", file);
  ServerConfig& s = config.server;
  root.strings("listen", s.listen);
  root.integer("threads", s.threads, 0, 1024);
  root.boolean("pin_workers", s.pin_workers);
  root.integer("backlog", s.backlog, 1, 1 << 20);
  root.string("server_header", s.server_header);
  root.object("limits", [&](ObjectReader& r) { read_limits(r, s.limits); });
  root.object("timeouts", [&](ObjectReader& r) { read_timeouts(r, s.timeouts); });
  root.object("shutdown", [&](ObjectReader& r) { read_shutdown(r, s.shutdown); });
  root.object("pools", [&](ObjectReader& r) { read_pools(r, s.pools); });
  root.object("offload", [&](ObjectReader& r) { read_offload(r, s.offload); });
  root.object("log", [&](ObjectReader& r) { read_log(r, config.log); });
  root.object("builtins", [&](ObjectReader& r) { read_builtins(r, config.builtins); });
  root.object("metrics", [&](ObjectReader& r) { read_metrics(r, config.metrics); });
  root.object("access_log", [&](ObjectReader& r) { read_access_log(r, config.access_log); });
  root.object("middleware", [&](ObjectReader& r) { read_middleware(r, config.middleware); });
  read_protection(root, file, config);
  read_routes(root, file, config.routes);
  root.finish();
  validate(s, file);
  check_protection_names(config, file);
  return config;
}

}  // namespace

DaemonConfig parse_config(std::string_view json_text, const std::string& file) {
  DocumentCheck::run(json_text, file);
  json document;
  try {
    document = json::parse(json_text.begin(), json_text.end(), nullptr, true,
                           /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    throw ConfigError(file, "", std::string("not valid JSON: ") + e.what());
  }
  try {
    return read_config(document, file);
  } catch (const json::exception& e) {
    // Every read checks the type and range first, so this is not expected; if a check is missing,
    // the configuration is still refused with a message, never ends the process.
    throw ConfigError(file, "", std::string("unexpected value: ") + e.what());
  }
}

DaemonConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace surge::detail
