#include "metrics/access_log.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <netinet/in.h>

#include <spdlog/async_logger.h>
#include <spdlog/details/periodic_worker.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "http/exchange.hpp"
#include "http/grammar.hpp"
#include "metrics/access_line.hpp"
#include "metrics/reopenable_file_sink.hpp"

namespace surge::detail {

/// Receives the marker lines AccessLog::flush() queues behind the access lines: the writer
/// thread takes messages in order, so once marker n arrives, everything queued before it is
/// written. A marker carries its number, so a dropped one (queue overrun) delays no later flush.
class FlushMarkerSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::uint64_t marker = 0;
    std::from_chars(msg.payload.data(), msg.payload.data() + msg.payload.size(), marker);
    {
      std::lock_guard lock(mutex_);
      arrived_ = std::max(arrived_, marker);
    }
    arrival_.notify_all();
  }
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  bool wait(std::uint64_t marker, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrival_.wait_for(lock, timeout, [&] { return arrived_ >= marker; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrival_;
  std::uint64_t arrived_ = 0;
};

namespace {

constexpr std::uint32_t kMillion = 1'000'000;
// The file output is flushed at least this often (and whenever its 64 KiB buffer fills).
constexpr std::chrono::seconds kFlushInterval{1};
// reopen() waits this long for the lines queued before it to reach the old file.
constexpr std::chrono::milliseconds kReopenWait{1000};

std::uint32_t rate_of(double sample) {
  if (!(sample > 0)) return 0;  // also NaN
  if (sample >= 1) return kMillion;
  return static_cast<std::uint32_t>(std::lround(sample * kMillion));
}

std::shared_ptr<spdlog::sinks::sink> make_output(const AccessLogConfig& config) {
  if (config.output == AccessLogConfig::Output::kFile)
    return std::make_shared<ReopenableFileSink>(config.path);
  return std::make_shared<spdlog::sinks::stdout_sink_mt>();
}

std::chrono::system_clock::time_point system_now() {
  return std::chrono::system_clock::now();
}

std::string_view client_text(const PeerAddress& peer, char (&out)[INET6_ADDRSTRLEN]) {
  // inet_ntop into the worker's buffer: PeerAddress::ip_string() would allocate.
  const char* text = peer.is_v4 ? ::inet_ntop(AF_INET, peer.bytes.data() + 12, out, sizeof(out))
                                : ::inet_ntop(AF_INET6, peer.bytes.data(), out, sizeof(out));
  return text != nullptr ? std::string_view(text) : std::string_view();
}

void read_request(const Exchange& exchange, AccessRecord& record) {
  // A request refused while its head was parsed has spans but no base yet: nothing is readable.
  if (exchange.base() == nullptr) return;
  const RequestHead& head = exchange.head();
  record.method = exchange.view(head.method_text);
  record.target = exchange.view(head.target);
  record.version = head.version;
  for (std::uint32_t i = 0; i < head.header_count; ++i) {
    const HeaderEntry& entry = exchange.header(i);
    const std::string_view name = exchange.view(entry.name);
    if (record.user_agent.empty() && iequals(name, "user-agent")) {
      record.user_agent = exchange.view(entry.value);
    } else if (record.referer.empty() && iequals(name, "referer")) {
      record.referer = exchange.view(entry.value);
    }
  }
}

}  // namespace

struct alignas(64) AccessLog::Shard {
  AccessLine line;
  std::uint32_t credit = 0;  // sampling: millionths of a line owed
  char client[INET6_ADDRSTRLEN] = {};
};

AccessLog::AccessLog(const AccessLogConfig& config, std::size_t workers, WallClock clock)
    : AccessLog(config, workers, make_output(config), clock) {
  file_ = std::dynamic_pointer_cast<ReopenableFileSink>(log_->sinks().front());
  if (file_) {
    flusher_ = std::make_unique<spdlog::details::periodic_worker>([this] { log_->flush(); },
                                                                  kFlushInterval);
  }
}

AccessLog::AccessLog(const AccessLogConfig& config, std::size_t workers,
                     std::shared_ptr<spdlog::sinks::sink> sink, WallClock clock)
    : workers_(workers),
      rate_(rate_of(config.sample)),
      json_(config.format == AccessLogConfig::Format::kJson),
      log_all_errors_(config.log_all_errors),
      clock_(clock != nullptr ? clock : &system_now),
      shards_(std::make_unique<Shard[]>(workers)),
      markers_(std::make_shared<FlushMarkerSink>()),
      pool_(std::make_shared<spdlog::details::thread_pool>(
          std::max<std::size_t>(config.queue_size, 1), 1)),
      // No name: spdlog stores the name in front of the message in each queue slot's 250 bytes.
      log_(std::make_shared<spdlog::async_logger>("", std::move(sink), pool_,
                                                  spdlog::async_overflow_policy::overrun_oldest)),
      marker_log_(std::make_shared<spdlog::async_logger>(
          "", markers_, pool_, spdlog::async_overflow_policy::overrun_oldest)) {
  log_->set_pattern("%v");
}

AccessLog::~AccessLog() {
  flusher_.reset();
  log_->flush();  // queued behind the last lines
  // Joins the writer thread once it has written everything queued: what it released (the
  // queued messages' references to the loggers) is then released before this thread goes on.
  pool_.reset();
}

void AccessLog::on_request(const CompletedRequest& request) {
  if (request.worker >= workers_) return;
  Shard& shard = shards_[request.worker];
  const bool error = request.status >= 500 || request.error != RequestError::kNone;
  if (!(error && log_all_errors_)) {
    shard.credit += rate_;
    if (shard.credit < kMillion) return;
    shard.credit -= kMillion;
  }

  const Exchange& exchange = request.exchange;
  AccessRecord record;
  record.client = client_text(exchange.peer(), shard.client);
  read_request(exchange, record);
  record.status = request.status;
  record.response_bytes = request.response_bytes;
  record.request_bytes = request.request_bytes;
  if (request.started != Clock::time_point{} && request.finished > request.started) {
    record.duration = request.finished - request.started;
  }
  record.request_id = exchange.request_id();
  record.route = exchange.route_pattern();
  if (request.error != RequestError::kNone) record.error = info(request.error).kind;

  const auto now = clock_();
  const std::string_view line =
      json_ ? shard.line.json(record, now) : shard.line.combined(record, now);
  log_->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

bool AccessLog::flush(std::chrono::milliseconds timeout) {
  // Serialised, so markers are queued in the order of their numbers.
  std::lock_guard lock(flush_mutex_);
  const std::uint64_t marker = ++last_marker_;
  log_->flush();
  char text[24];
  const auto end = std::to_chars(text, text + sizeof(text), marker).ptr;
  marker_log_->log(spdlog::level::info,
                   spdlog::string_view_t(text, static_cast<std::size_t>(end - text)));
  return markers_->wait(marker, timeout);
}

boost::system::error_code AccessLog::reopen() {
  if (!file_) return {};
  flush(kReopenWait);  // on timeout, reopen anyway: a stuck old file is no reason to keep it
  return file_->reopen();
}

std::uint64_t AccessLog::dropped() const {
  return pool_->overrun_counter();
}

void AccessLog::collect(MetricSink& sink) const { collect(sink, 0); }

void AccessLog::collect(MetricSink& sink, std::uint64_t dropped_before) const {
  sink.counter("surge_access_log_dropped_total",
               "Access log lines dropped because the writer thread fell behind (the queue was full).", {},
               static_cast<double>(dropped_before + dropped()));
}

}  // namespace surge::detail
