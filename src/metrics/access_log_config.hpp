#pragma once
// AccessLogConfig: the access log's settings (plain data, defaults documented).

#include <cstddef>
#include <cstdint>
#include <string>

namespace surge::detail {

/// The "access_log" section. Error and lifecycle messages never go here (they go to the daemon's
/// logger on stderr).
struct AccessLogConfig {
  enum class Format : std::uint8_t { kCombined, kJson };
  enum class Output : std::uint8_t { kStdout, kFile };

  // Log requests at all. Default false: metrics on, access log off. AccessLog ignores it; the
  // daemon builds no AccessLog when it is false, so workers do not even call an observer.
  bool enabled = false;
  // Line layout, see AccessLine (src/metrics/access_line.hpp). Default kCombined.
  Format format = Format::kCombined;
  // kStdout (journald under systemd) or kFile (`path`). Default kStdout.
  Output output = Output::kStdout;
  // The file for kFile: appended to, written in 64 KiB blocks and at least once a second, and
  // opened again by reopen() (SIGUSR1, for logrotate). No default.
  std::string path;
  // Fraction of requests logged, 0..1 (clamped), kept in millionths: each worker logs its k-th
  // request iff floor(k * sample) > floor((k - 1) * sample), i.e. exactly floor(n * sample) of
  // any n, evenly spread, the same on every run. Default 1: every request.
  double sample = 1.0;
  // 5xx responses and requests the engine refused (400, 408, 413, 414, 431, 501, 505) are logged
  // whatever `sample` says, and are not counted in its n. Default true: errors are rare and the
  // lines most looked for.
  bool log_all_errors = true;
  // Lines waiting for the writer thread; at least 1. Lines travel in batches of up to 64 (one
  // queue slot each, up to 32 KiB), so the queue holds ceil(queue_size / 64) batches. When it is
  // full, a worker drops its new batch and counts the lines (dropped()): it never waits for the
  // log. Default 8192 (128 batches, at most 4 MiB).
  std::size_t queue_size = 8192;

  bool operator==(const AccessLogConfig&) const = default;
};

}  // namespace surge::detail
