#include "metrics/request_metrics.hpp"

#include <algorithm>
#include <atomic>
#include <map>

#include <surge/method.hpp>

#include "http/exchange.hpp"

namespace surge::detail {
namespace {

// A refusal before the method was read. Every method token surge does not implement counts as
// Method::kOther ("OTHER"): what clients send cannot grow the label set.
constexpr std::size_t kUnknownMethod = kMethodCount;

// A (route, method, code) series key: never 0, so 0 marks an empty slot.
std::uint64_t series_key(std::size_t route, std::size_t method, int code) {
  return (static_cast<std::uint64_t>(route + 1) << 20) | (static_cast<std::uint64_t>(method) << 10) |
         static_cast<std::uint64_t>(code & 0x3FF);
}

std::size_t bucket_of(std::uint64_t value, const std::vector<std::uint64_t>& bounds) {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
}

}  // namespace

// One worker's counters. Written only by that worker; the exporter reads them concurrently. The
// series table uses open addressing over a fixed array: a slot's counter is zeroed before its key
// is published (release), and the reader only trusts slots whose key it saw (acquire).
struct RequestMetrics::Shard {
  struct Slot {
    std::atomic<std::uint64_t> key{0};
    Counter count;
  };
  struct Histogram {
    std::vector<Counter> buckets;  // per route: bounds + 1 (the last counts values above all bounds)
    std::vector<Counter> sums;     // per route, in the base unit (ns or bytes)
  };

  Shard(std::size_t capacity, std::size_t routes, std::size_t duration_buckets, std::size_t size_buckets)
      : mask(capacity - 1), slots(std::make_unique<Slot[]>(capacity)) {
    auto make = [routes](Histogram& h, std::size_t buckets) {
      h.buckets = std::vector<Counter>(routes * (buckets + 1));
      h.sums = std::vector<Counter>(routes);
    };
    make(duration, duration_buckets);
    make(request_size, size_buckets);
    make(response_size, size_buckets);
  }

  void count(std::uint64_t key) {
    std::size_t i = static_cast<std::size_t>(key * 0x9E3779B97F4A7C15ULL >> 40) & mask;
    for (std::size_t probe = 0; probe <= mask; ++probe, i = (i + 1) & mask) {
      std::uint64_t k = slots[i].key.load(std::memory_order_relaxed);
      if (k == key) {
        slots[i].count.add();
        return;
      }
      if (k == 0) {
        slots[i].count.add();  // the counter starts at 0: count before publishing the key
        slots[i].key.store(key, std::memory_order_release);
        return;
      }
    }
    overflow.add();
  }

  std::size_t mask;
  std::unique_ptr<Slot[]> slots;
  Counter overflow;
  Histogram duration, request_size, response_size;
  char padding[64];  // keep the next worker's shard off this one's last cache line
};

RequestMetrics::RequestMetrics(HttpMetricsConfig config, std::vector<std::string> route_labels,
                               std::size_t workers)
    : config_(std::move(config)), route_labels_(std::move(route_labels)) {
  route_labels_.emplace_back("unmatched");
  for (double b : config_.duration_buckets) duration_bounds_ns_.push_back(static_cast<std::uint64_t>(b * 1e9));
  for (double b : config_.size_buckets) size_bounds_.push_back(static_cast<std::uint64_t>(b));
  std::size_t capacity = 16;
  while (capacity < config_.max_series_per_worker) capacity *= 2;
  for (std::size_t w = 0; w < workers; ++w) {
    shards_.push_back(std::make_unique<Shard>(capacity, route_labels_.size(), duration_bounds_ns_.size(),
                                              size_bounds_.size()));
  }
}

RequestMetrics::~RequestMetrics() = default;

void RequestMetrics::on_request(const CompletedRequest& r) {
  Shard& shard = *shards_[r.worker < shards_.size() ? r.worker : shards_.size() - 1];
  const RequestHead& head = r.exchange.head();
  std::size_t route = r.exchange.route().index;
  if (route >= route_labels_.size() - 1) route = route_labels_.size() - 1;  // unmatched
  const std::size_t method = head.method_text.size == 0 ? kUnknownMethod : static_cast<std::size_t>(head.method);
  shard.count(series_key(route, method, r.status));

  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(r.finished - r.started).count()));
  const std::size_t d = duration_bounds_ns_.size() + 1;
  shard.duration.buckets[route * d + bucket_of(ns, duration_bounds_ns_)].add();
  shard.duration.sums[route].add(ns);
  const std::size_t s = size_bounds_.size() + 1;
  shard.request_size.buckets[route * s + bucket_of(r.request_bytes, size_bounds_)].add();
  shard.request_size.sums[route].add(r.request_bytes);
  shard.response_size.buckets[route * s + bucket_of(r.response_bytes, size_bounds_)].add();
  shard.response_size.sums[route].add(r.response_bytes);
}

void RequestMetrics::collect(MetricSink& sink) const {
  std::map<std::uint64_t, double> series;
  double overflow = 0;
  for (const auto& shard : shards_) {
    for (std::size_t i = 0; i <= shard->mask; ++i) {
      std::uint64_t key = shard->slots[i].key.load(std::memory_order_acquire);
      if (key != 0) series[key] += static_cast<double>(shard->slots[i].count.value());
    }
    overflow += static_cast<double>(shard->overflow.value());
  }
  for (const auto& [key, value] : series) {
    const std::size_t route = static_cast<std::size_t>(key >> 20) - 1;
    const std::size_t method = static_cast<std::size_t>((key >> 10) & 0x3FF);
    const std::string code = std::to_string(key & 0x3FF);
    sink.counter("http_requests_total", "HTTP requests answered, by method, route pattern and status code.",
                 {{"method", method < kMethodCount ? to_string(static_cast<Method>(method)) : "UNKNOWN"},
                  {"route", route_labels_[route]},
                  {"code", code}},
                 value);
  }
  sink.counter("surge_metrics_series_overflow_total",
               "Requests not counted in http_requests_total because a worker had max_series_per_worker series.",
               {}, overflow);

  auto histogram = [&](std::string_view name, std::string_view help, auto Shard::*member,
                       const std::vector<double>& bounds, double unit) {
    const std::size_t width = bounds.size() + 1;
    std::vector<std::uint64_t> counts(width);
    for (std::size_t route = 0; route < route_labels_.size(); ++route) {
      std::fill(counts.begin(), counts.end(), 0);
      double sum = 0;
      for (const auto& shard : shards_) {
        const auto& h = (*shard).*member;
        for (std::size_t b = 0; b < width; ++b) counts[b] += h.buckets[route * width + b].value();
        sum += static_cast<double>(h.sums[route].value()) * unit;
      }
      std::uint64_t total = 0;
      for (std::uint64_t c : counts) total += c;
      if (total == 0) continue;  // routes never requested add no series
      sink.histogram(name, help, {{"route", route_labels_[route]}}, bounds, counts, sum);
    }
  };
  histogram("http_request_duration_seconds",
            "Time from the first byte of a request parsed to its response queued, by route pattern.",
            &Shard::duration, config_.duration_buckets, 1e-9);
  histogram("http_request_size_bytes", "Request sizes (request line, header section and body), by route pattern.",
            &Shard::request_size, config_.size_buckets, 1.0);
  histogram("http_response_size_bytes", "Response sizes (status line, header section and body), by route pattern.",
            &Shard::response_size, config_.size_buckets, 1.0);
}

}  // namespace surge::detail
