#include "metrics/access_log.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <netinet/in.h>

#include <spdlog/async_logger.h>
#include <spdlog/details/periodic_worker.h>
#include <spdlog/details/thread_pool.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "http/exchange.hpp"
#include "http/grammar.hpp"
#include "http/peer_text.hpp"
#include "metrics/access_line.hpp"
#include "metrics/reopenable_file_sink.hpp"

namespace surge::detail {

/// The queue slots the access log has taken: every message it posts (a batch, a flush request, a
/// flush marker) holds one until the writer thread has handled it. Posting only with a slot, the
/// log never overruns spdlog's queue, which would drop its oldest message, lines nobody counted:
/// a batch that finds no slot is dropped by the worker and its lines counted.
struct QueueSlots {
  explicit QueueSlots(std::size_t slots) : capacity(slots) {}

  // Never admits more than `capacity`: the count is at least the slots held at every moment
  // (a failed attempt adds one only until it takes it back).
  bool reserve() {
    if (used.fetch_add(1, std::memory_order_acq_rel) < capacity) return true;
    used.fetch_sub(1, std::memory_order_acq_rel);
    return false;
  }
  void release() { used.fetch_sub(1, std::memory_order_acq_rel); }

  const std::size_t capacity;
  std::atomic<std::size_t> used{0};
};

namespace {

// Gives the slot back however the sink's call ends (spdlog catches what a sink throws).
class SlotRelease {
 public:
  explicit SlotRelease(QueueSlots& slots) : slots_(slots) {}
  ~SlotRelease() { slots_.release(); }
  SlotRelease(const SlotRelease&) = delete;
  SlotRelease& operator=(const SlotRelease&) = delete;

 private:
  QueueSlots& slots_;
};

/// The output, as the writer thread sees it: each batch and each flush request handled gives
/// its queue slot back.
class SlotReleasingSink final : public spdlog::sinks::sink {
 public:
  SlotReleasingSink(std::shared_ptr<spdlog::sinks::sink> output, std::shared_ptr<QueueSlots> slots)
      : output_(std::move(output)), slots_(std::move(slots)) {}
  void log(const spdlog::details::log_msg& msg) override {
    SlotRelease release(*slots_);
    output_->log(msg);
  }
  void flush() override {
    SlotRelease release(*slots_);
    output_->flush();
  }
  void set_pattern(const std::string& pattern) override { output_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    output_->set_formatter(std::move(formatter));
  }

 private:
  const std::shared_ptr<spdlog::sinks::sink> output_;
  const std::shared_ptr<QueueSlots> slots_;
};

}  // namespace

/// Receives the marker lines AccessLog::flush() queues behind the access lines: the writer
/// thread takes messages in order, so once marker n arrives, everything queued before it is
/// written. A marker carries its number, so a late one delays no later flush.
class FlushMarkerSink final : public spdlog::sinks::sink {
 public:
  explicit FlushMarkerSink(std::shared_ptr<QueueSlots> slots) : slots_(std::move(slots)) {}

  void log(const spdlog::details::log_msg& msg) override {
    SlotRelease release(*slots_);
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
  const std::shared_ptr<QueueSlots> slots_;
  std::mutex mutex_;
  std::condition_variable arrival_;
  std::uint64_t arrived_ = 0;
};

namespace {

constexpr std::uint32_t kMillion = 1'000'000;
// A worker's batch goes to the queue when it holds this many lines or the next line would not
// fit in its bytes; every line fits in an empty batch.
constexpr std::size_t kBatchLines = 64;
constexpr std::size_t kBatchBytes = 32 * 1024;
static_assert(AccessLine::kMaxLineBytes + 1 <= kBatchBytes);
// Partial batches go to the queue, and the output is flushed, at least this often.
constexpr std::chrono::seconds kFlushInterval{1};
// Besides the batches, room for a flush request and a flush marker.
constexpr std::size_t kControlSlots = 2;
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

// Into the worker's buffer: PeerAddress::ip_string() would allocate.
std::string_view client_text(const PeerAddress& peer, char (&out)[INET6_ADDRSTRLEN]) {
  return peer_ip_text(peer, out);
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
  // Worker only.
  AccessLine line;
  std::uint32_t credit = 0;  // sampling: millionths of a line owed
  char client[INET6_ADDRSTRLEN] = {};
  // Under mutex: the worker appends, the periodic flush takes what is there.
  std::mutex mutex;
  std::size_t used = 0;   // bytes in batch, each line ending in '\n'
  std::size_t lines = 0;  // lines in batch
  char batch[kBatchBytes];
};

AccessLog::AccessLog(const AccessLogConfig& config, std::size_t workers, WallClock clock)
    : AccessLog(config, workers, make_output(config), clock) {
  file_ = std::dynamic_pointer_cast<ReopenableFileSink>(output_);
}

AccessLog::AccessLog(const AccessLogConfig& config, std::size_t workers,
                     std::shared_ptr<spdlog::sinks::sink> sink, WallClock clock)
    : workers_(workers),
      rate_(rate_of(config.sample)),
      json_(config.format == AccessLogConfig::Format::kJson),
      log_all_errors_(config.log_all_errors),
      clock_(clock != nullptr ? clock : &system_now),
      shards_(std::make_unique<Shard[]>(workers)),
      slots_(std::make_shared<QueueSlots>(
          (std::max<std::size_t>(config.queue_size, 1) + kBatchLines - 1) / kBatchLines + kControlSlots)),
      output_(std::move(sink)),
      markers_(std::make_shared<FlushMarkerSink>(slots_)),
      pool_(std::make_shared<spdlog::details::thread_pool>(slots_->capacity, 1)),
      // No name: spdlog would store it in front of every message. Posting only with a slot, the
      // overflow policy never applies.
      log_(std::make_shared<spdlog::async_logger>(
          "", std::make_shared<SlotReleasingSink>(output_, slots_), pool_,
          spdlog::async_overflow_policy::overrun_oldest)),
      marker_log_(std::make_shared<spdlog::async_logger>(
          "", markers_, pool_, spdlog::async_overflow_policy::overrun_oldest)) {
  log_->set_pattern("%v");
  flusher_ = std::make_unique<spdlog::details::periodic_worker>(
      [this] {
        submit_all();
        if (slots_->reserve()) log_->flush();
      },
      kFlushInterval);
}

AccessLog::~AccessLog() {
  flusher_.reset();
  submit_all();
  if (slots_->reserve()) log_->flush();  // queued behind the last lines
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
  record.route = exchange.route().pattern;
  if (request.error != RequestError::kNone) record.error = info(request.error).kind;
  const UpstreamTrace& upstream = exchange.async().upstream;
  record.upstream = upstream.address;
  record.upstream_status = upstream.status;
  record.upstream_duration = upstream.duration;

  const auto now = clock_();
  const std::string_view line =
      json_ ? shard.line.json(record, now) : shard.line.combined(record, now);

  std::lock_guard lock(shard.mutex);
  if (shard.used + line.size() + 1 > kBatchBytes) submit(shard);
  std::memcpy(shard.batch + shard.used, line.data(), line.size());
  shard.used += line.size();
  shard.batch[shard.used++] = '\n';
  if (++shard.lines == kBatchLines) submit(shard);
}

void AccessLog::submit(Shard& shard) {
  if (shard.lines == 0) return;
  if (slots_->reserve()) {
    // Without its last '\n': the sink ends every message with one.
    log_->log(spdlog::level::info, spdlog::string_view_t(shard.batch, shard.used - 1));
  } else {
    dropped_.fetch_add(shard.lines, std::memory_order_relaxed);
  }
  shard.used = 0;
  shard.lines = 0;
}

void AccessLog::submit_all() {
  for (std::size_t worker = 0; worker < workers_; ++worker) {
    std::lock_guard lock(shards_[worker].mutex);
    submit(shards_[worker]);
  }
}

bool AccessLog::flush(std::chrono::milliseconds timeout) {
  // Serialised, so markers are queued in the order of their numbers.
  std::lock_guard lock(flush_mutex_);
  submit_all();
  if (!slots_->reserve()) return false;
  log_->flush();
  if (!slots_->reserve()) return false;
  const std::uint64_t marker = ++last_marker_;
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
  return dropped_.load(std::memory_order_relaxed);
}

void AccessLog::collect(MetricSink& sink) const { collect(sink, 0); }

void AccessLog::collect(MetricSink& sink, std::uint64_t dropped_before) const {
  sink.counter("surge_access_log_dropped_total",
               "Access log lines dropped because the writer thread fell behind (its queue was full).", {},
               static_cast<double>(dropped_before + dropped()));
}

}  // namespace surge::detail
