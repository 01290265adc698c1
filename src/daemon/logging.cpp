#include "daemon/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace surge::detail {

bool valid_log_level(const std::string& level) {
  return level == "trace" || level == "debug" || level == "info" || level == "warn" ||
         level == "error" || level == "critical" || level == "off";
}

DaemonLogger make_daemon_logger(const std::string& level) {
  constexpr std::size_t kQueueSize = 8192;
  auto pool = std::make_shared<spdlog::details::thread_pool>(kQueueSize, 1);
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto log = std::make_shared<spdlog::async_logger>("surged", std::move(sink), pool,
                                                    spdlog::async_overflow_policy::overrun_oldest);
  log->set_level(spdlog::level::from_str(level));
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  log->flush_on(spdlog::level::warn);
  return {std::move(pool), std::move(log)};
}

}  // namespace surge::detail
