#pragma once
// AccessLog: one line per answered request, formatted on its worker, written by spdlog's
// asynchronous logger thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <boost/system/error_code.hpp>

#include "metrics/access_log_config.hpp"
#include "metrics/metric_sink.hpp"
#include "server/request_observer.hpp"

namespace spdlog {
class logger;
namespace details {
class thread_pool;
class periodic_worker;
}  // namespace details
namespace sinks {
class sink;
}  // namespace sinks
}  // namespace spdlog

namespace surge::detail {

class ReopenableFileSink;
class FlushMarkerSink;

/// Built once at start-up and shared by every worker (a RequestObserver). Per request, on the
/// request's worker: the sampling decision, the line formatted into that worker's buffer (no
/// allocation once warm), and a copy of it handed to spdlog's queue (a short critical section in
/// spdlog's queue, never I/O, never waiting for room). One thread, owned here, writes the lines.
///
/// Lines carry the wall-clock time at which the response was queued (nginx's $time_local), in UTC.
class AccessLog final : public RequestObserver, public MetricsProvider {
 public:
  /// Time of the lines; injected so tests can fix it. nullptr: std::chrono::system_clock::now.
  using WallClock = std::chrono::system_clock::time_point (*)();

  /// Writes to config.output. `workers`: the number of worker threads (requests with
  /// worker >= workers are not logged). Throws std::system_error if the file cannot be opened.
  AccessLog(const AccessLogConfig& config, std::size_t workers, WallClock clock = nullptr);
  /// Writes to `sink` instead (tests; embedders with their own sink): config.output and path
  /// are ignored. The sink's pattern is set to "%v" (the line, then a newline).
  AccessLog(const AccessLogConfig& config, std::size_t workers,
            std::shared_ptr<spdlog::sinks::sink> sink, WallClock clock = nullptr);
  /// Writes out every line still queued, then stops the writer thread.
  ~AccessLog() override;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// Worker thread of `request` only.
  void on_request(const CompletedRequest& request) override;

  /// Waits until every line queued before the call is written and the output flushed, at most
  /// `timeout`. False on timeout (a stuck output, or so many lines queued meanwhile that the
  /// marker this waits for was dropped). Any thread but a worker; calls are serialised.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(1));

  /// For logrotate (SIGUSR1, from the daemon's sigwait loop: not async-signal-safe, and any
  /// thread but a worker): flush()
  /// (lines queued before the signal belong in the old file), then the file output opens its path
  /// again. On error the old file stays in use and the error is returned. Does nothing for
  /// stdout or a given sink.
  boost::system::error_code reopen();

  /// Lines dropped because the queue was full (plus the rare flush marker). Any thread.
  std::uint64_t dropped() const;
  /// surge_access_log_dropped_total (the exporter thread).
  void collect(MetricSink& sink) const override;
  /// The same, plus what the access logs this one replaced (at reloads) had dropped, so the
  /// counter never goes backwards.
  void collect(MetricSink& sink, std::uint64_t dropped_before) const;

 private:
  struct Shard;

  const std::size_t workers_;
  const std::uint32_t rate_;  // requests logged per million (the sampling fraction)
  const bool json_;
  const bool log_all_errors_;
  const WallClock clock_;
  std::unique_ptr<Shard[]> shards_;  // one per worker, each written by its worker only

  // The destructor stops the periodic flush, then the pool (its thread writes out what is
  // queued); the loggers and sinks go after.
  std::shared_ptr<ReopenableFileSink> file_;  // null unless the output is a file
  std::shared_ptr<FlushMarkerSink> markers_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<spdlog::logger> marker_log_;  // same queue: its lines mark positions in it
  std::unique_ptr<spdlog::details::periodic_worker> flusher_;
  std::mutex flush_mutex_;
  std::uint64_t last_marker_ = 0;  // under flush_mutex_
};

}  // namespace surge::detail
