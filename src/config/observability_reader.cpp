#include "config/observability_reader.hpp"

#include <set>

#include "net/listen_address.hpp"

namespace surge::detail {

void read_log(ObjectReader& r, LogConfig& c) {
  r.string("level", c.level);
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (kLevels.count(c.level) == 0) {
    r.fail("level", "expected one of trace, debug, info, warn, error, critical, off");
  }
}

void read_metrics(ObjectReader& r, MetricsConfig& c) {
  r.boolean("enabled", c.enabled);
  r.string("listen", c.listen);
  if (!c.listen.empty()) {
    std::string error;
    if (!parse_listen_address(c.listen, error)) {
      r.fail("listen", "\"" + c.listen + "\" is not a listen address: " + error);
    }
  }
  r.string("path", c.path);
  if (c.path.empty() || c.path.front() != '/' || c.path.find_first_of(":*?# ") != std::string::npos) {
    r.fail("path", "expected a plain path beginning with '/'");
  }
  r.boolean("serve_on_main_listener", c.serve_on_main_listener);
  r.bounds("duration_buckets_s", c.http.duration_buckets);
  r.bounds("size_buckets_bytes", c.http.size_buckets);
  r.integer("max_series_per_worker", c.http.max_series_per_worker, IntRange{16, 1 << 20});
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
  if (c.output == AccessLogConfig::Output::kFile && c.path.empty()) {
    r.fail("path", "required when output is \"file\"");
  }
  r.number("sample", c.sample, 0.0, 1.0);
  r.boolean("log_all_errors", c.log_all_errors);
  r.integer("queue_size", c.queue_size, IntRange{1, 1 << 22});
}

void read_builtins(ObjectReader& r, BuiltinsConfig& c) {
  r.boolean("healthz", c.healthz);
  r.boolean("readyz", c.readyz);
}

}  // namespace surge::detail
