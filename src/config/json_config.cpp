#include "config/json_config.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include <surge/error.hpp>

#include "config/listen_address.hpp"

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

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kOneGiB = 1LL << 30;
constexpr std::int64_t kOneDayMs = 24LL * 3600 * 1000;

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
  r.duration_ms("idle_ms", c.idle, 1, kOneDayMs);
  r.duration_ms("write_ms", c.write, 1, kOneDayMs);
  r.duration_ms("linger_ms", c.linger, 1, kOneDayMs);
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

}  // namespace

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

DaemonConfig parse_config(std::string_view json_text, const std::string& file) {
  json document;
  try {
    document = json::parse(json_text.begin(), json_text.end(), nullptr, true,
                           /*ignore_comments=*/false);
  } catch (const json::parse_error& e) {
    throw ConfigError(file, "", std::string("not valid JSON: ") + e.what());
  }
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
  root.object("log", [&](ObjectReader& r) { read_log(r, config.log); });
  root.finish();
  validate(s, file);
  return config;
}

DaemonConfig load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, "", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

}  // namespace surge::detail
