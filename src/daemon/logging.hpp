#pragma once
// Logging: the daemon's error and lifecycle logger.

#include <memory>
#include <string>

namespace spdlog {
class logger;
namespace details {
class thread_pool;
}
}  // namespace spdlog

namespace surge::detail {

/// An asynchronous logger writing to stderr (journald under systemd). Workers never wait for it:
/// when its queue is full the oldest message is dropped. No global registry is touched. The
/// logger only observes its thread pool, so the pool is held here: keep this object alive
/// longer than every user of the logger; destroying it flushes what is queued.
struct DaemonLogger {
  std::shared_ptr<spdlog::details::thread_pool> pool;
  std::shared_ptr<spdlog::logger> log;
};

DaemonLogger make_daemon_logger(const std::string& level);

/// Parses "trace" ... "off"; returns false if unknown.
bool valid_log_level(const std::string& level);

}  // namespace surge::detail
