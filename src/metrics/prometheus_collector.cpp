#include "metrics/prometheus_collector.hpp"

#include <map>
#include <string>

#include <prometheus/text_serializer.h>

namespace surge::detail {
namespace {

// Collects samples into families keyed by name, in the order names first appear; a sample
// whose name and labels were already reported is added to the first one.
class FamilySink final : public MetricSink {
 public:
  void counter(std::string_view name, std::string_view help, std::initializer_list<MetricLabel> labels,
               double value) override {
    add(name, help, prometheus::MetricType::Counter, labels).counter.value += value;
  }
  void gauge(std::string_view name, std::string_view help, std::initializer_list<MetricLabel> labels,
             double value) override {
    add(name, help, prometheus::MetricType::Gauge, labels).gauge.value += value;
  }
  void histogram(std::string_view name, std::string_view help, std::initializer_list<MetricLabel> labels,
                 std::span<const double> bounds, std::span<const std::uint64_t> bucket_counts,
                 double sum) override {
    prometheus::ClientMetric& m = add(name, help, prometheus::MetricType::Histogram, labels);
    const bool first = m.histogram.bucket.empty();
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bucket_counts.size(); ++i) {
      cumulative += bucket_counts[i];
      if (!first && i < m.histogram.bucket.size()) {
        m.histogram.bucket[i].cumulative_count += cumulative;
        continue;
      }
      prometheus::ClientMetric::Bucket bucket;
      bucket.cumulative_count = cumulative;
      bucket.upper_bound = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back(bucket);
    }
    m.histogram.sample_count += cumulative;
    m.histogram.sample_sum += sum;
  }

  std::vector<prometheus::MetricFamily> take() { return std::move(families_); }

 private:
  prometheus::ClientMetric& add(std::string_view name, std::string_view help, prometheus::MetricType type,
                                std::initializer_list<MetricLabel> labels) {
    auto [it, added] = index_.try_emplace(std::string(name), families_.size());
    if (added) {
      prometheus::MetricFamily family;
      family.name = std::string(name);
      family.help = std::string(help);
      family.type = type;
      families_.push_back(std::move(family));
    }
    prometheus::MetricFamily& family = families_[it->second];
    std::string series(name);
    for (const MetricLabel& label : labels) {
      series.append(1, '\0').append(label.name).append(1, '\0').append(label.value);
    }
    auto [at, fresh] = series_.try_emplace(std::move(series), family.metric.size());
    if (!fresh) return family.metric[at->second];
    prometheus::ClientMetric& metric = family.metric.emplace_back();
    for (const MetricLabel& label : labels) {
      metric.label.push_back({std::string(label.name), std::string(label.value)});
    }
    return metric;
  }

  std::vector<prometheus::MetricFamily> families_;
  std::map<std::string, std::size_t, std::less<>> index_;   // family name -> families_
  std::map<std::string, std::size_t, std::less<>> series_;  // name + labels -> family.metric
};

}  // namespace

void PrometheusCollector::add_source(Source source) {
  std::lock_guard lock(mutex_);
  sources_.emplace_back(std::string(), std::move(source));
}

void PrometheusCollector::set_source(const std::string& key, Source source) {
  Source released;  // destroyed after the lock is let go
  std::lock_guard lock(mutex_);
  for (auto& [k, s] : sources_) {
    if (k == key) {
      released = std::exchange(s, std::move(source));
      return;
    }
  }
  sources_.emplace_back(key, std::move(source));
}

std::vector<prometheus::MetricFamily> PrometheusCollector::Collect() const {
  FamilySink sink;
  std::lock_guard lock(mutex_);
  for (const auto& [key, source] : sources_) source(sink);
  return sink.take();
}

std::string PrometheusCollector::serialize() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace surge::detail
