#pragma once
// AccessLog: one line per answered request, formatted on its worker, handed to spdlog's
// asynchronous logger in batches and written by its thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <atomic>
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
struct QueueSlots;

/// Built once at start-up and shared by every worker (a RequestObserver). Per request, on the
/// request's worker: the sampling decision, the line formatted and appended to that worker's
/// batch (no allocation, no system call, a lock no other thread takes but once a second). A full
/// batch (64 lines or 32 KiB) is handed to spdlog's queue as one message, and at least once a
/// second every partial batch is (nginx's `access_log ... buffer=32k flush=1s`): a line per queue
/// operation and a writer wake-up per line halved the throughput of a logged server; a batch per
/// 64 lines costs nothing measurable. One thread, owned here, writes the batches.
///
/// Lines carry the wall-clock time at which the response was queued (nginx's $time_local), in UTC.
/// A message the sink receives holds one or more lines, separated by '\n' (the sink adds the
/// last one, as for any spdlog message).
class AccessLog final : public RequestObserver, public MetricsProvider {
 public:
  /// Time of the lines; injected so tests can fix it. nullptr: std::chrono::system_clock::now.
  using WallClock = std::chrono::system_clock::time_point (*)();

  /// Writes to config.output. `workers`: the number of worker threads (requests with
  /// worker >= workers are not logged). Throws std::system_error if the file cannot be opened.
  AccessLog(const AccessLogConfig& config, std::size_t workers, WallClock clock = nullptr);
  /// Writes to `sink` instead (tests; embedders with their own sink): config.output and path
  /// are ignored. The sink's pattern is set to "%v" (the lines, then a newline).
  AccessLog(const AccessLogConfig& config, std::size_t workers,
            std::shared_ptr<spdlog::sinks::sink> sink, WallClock clock = nullptr);
  /// Writes out every line still queued, then stops the writer thread.
  ~AccessLog() override;
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  /// Worker thread of `request` only (the batch's lock is uncontended there but for the periodic
  /// flush, once a second).
  void on_request(const CompletedRequest& request) override;

  /// Hands every worker's partial batch to the writer, then waits until every line logged before
  /// the call is written and the output flushed, at most `timeout`. False on timeout or when the
  /// queue had no room for the request (a stuck output). Any thread but a worker; calls are
  /// serialised.
  bool flush(std::chrono::milliseconds timeout = std::chrono::seconds(1));

  /// For logrotate (SIGUSR1, from the daemon's sigwait loop: not async-signal-safe, and any
  /// thread but a worker): flush()
  /// (lines queued before the signal belong in the old file), then the file output opens its path
  /// again. On error the old file stays in use and the error is returned. Does nothing for
  /// stdout or a given sink.
  boost::system::error_code reopen();

  /// Lines dropped because the queue was full (the writer thread fell behind): a full batch with
  /// no room in the queue is dropped whole, its lines counted. Any thread.
  std::uint64_t dropped() const;
  /// surge_access_log_dropped_total (the exporter thread).
  void collect(MetricSink& sink) const override;
  /// The same, plus what the access logs this one replaced (at reloads) had dropped, so the
  /// counter never goes backwards.
  void collect(MetricSink& sink, std::uint64_t dropped_before) const;

 private:
  struct Shard;

  // Hands a shard's batch to the queue (or drops it when the queue is full). Under shard.mutex.
  void submit(Shard& shard);
  // submit() for every shard, each under its mutex (the periodic flush, flush(), destruction).
  void submit_all();

  const std::size_t workers_;
  const std::uint32_t rate_;  // requests logged per million (the sampling fraction)
  const bool json_;
  const bool log_all_errors_;
  const WallClock clock_;
  std::unique_ptr<Shard[]> shards_;  // one per worker, each written by its worker only
  std::atomic<std::uint64_t> dropped_{0};

  // The destructor stops the periodic flush, then the pool (its thread writes out what is
  // queued); the loggers and sinks go after.
  std::shared_ptr<QueueSlots> slots_;  // messages in the queue or being written, at most its size
  std::shared_ptr<spdlog::sinks::sink> output_;
  std::shared_ptr<ReopenableFileSink> file_;  // output_, when it is the file
  std::shared_ptr<FlushMarkerSink> markers_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<spdlog::logger> marker_log_;  // same queue: its lines mark positions in it
  std::unique_ptr<spdlog::details::periodic_worker> flusher_;
  std::mutex flush_mutex_;
  std::uint64_t last_marker_ = 0;  // under flush_mutex_
};

}  // namespace surge::detail
