#include "upstream/balancer.hpp"

#include <algorithm>
#include <cmath>

namespace surge::detail {
namespace {

// What peak-EWMA charges a host before any host has a sample: any equal value would do; this one
// is of the order of a pooled upstream on the same network.
constexpr double kDefaultLatencyNs = 1e6;
// The view promises a weight above 0; a 0 must not turn a cost into inf or NaN.
constexpr double kLeastWeight = 1e-9;

double uniform01(std::uint64_t random) {
  return static_cast<double>(random >> 11) * 0x1.0p-53;
}

}  // namespace

Balancer::Balancer(const BalanceTables& tables, const UpstreamBalance& config, std::uint64_t seed)
    : tables_(&tables),
      policy_(config.policy),
      tau_ns_(static_cast<double>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(config.ewma_decay).count())),
      rng_(seed),
      outstanding_(tables.host_count(), 0),
      ewma_(tables.host_count()) {
  // Each worker starts at its own place in the cycle, or every worker's first request after a
  // start or reload would go to the same host.
  const std::size_t cycle = tables.schedule().size();
  if (cycle > 0) position_ = static_cast<std::size_t>(next_random() % cycle);
  if (tables.ring() != nullptr) seen_.assign(tables.host_count(), 0);
}

void Balancer::on_start(std::size_t host) {
  if (host < outstanding_.size()) ++outstanding_[host];
}

void Balancer::on_end(std::size_t host) {
  if (host < outstanding_.size() && outstanding_[host] > 0) --outstanding_[host];
}

void Balancer::observe(std::size_t host, Clock::duration latency, Clock::time_point now) {
  if (host >= ewma_.size()) return;
  Ewma& e = ewma_[host];
  const double sample = static_cast<double>(std::max<std::int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count(), 0));
  const double before = e.sampled ? e.value : 0;
  if (!e.sampled || tau_ns_ <= 0) {
    ewma_count_ += e.sampled ? 0 : 1;
    e.value = sample;
    e.sampled = true;
  } else {
    // Samples come unevenly, so a sample's weight grows with the time since the last one
    // (Finagle, after Eckner's EWMA for unevenly spaced series); the old value has decayed by
    // the same factor meanwhile, as estimate_ns() charges it.
    const double kept = kept_since(e.stamp, now);
    const double decayed = e.value * kept;
    e.value = sample > decayed ? sample : decayed + sample * (1 - kept);
  }
  e.stamp = now;
  ewma_sum_ += e.value - before;
}

std::chrono::duration<double, std::milli> Balancer::latency_estimate(std::size_t host,
                                                                     Clock::time_point now) const {
  return std::chrono::duration<double, std::nano>(estimate_ns(host, now));
}

double Balancer::estimate_ns(std::size_t host, Clock::time_point now) const {
  const Ewma& e = ewma_[host];
  if (!e.sampled)
    return ewma_count_ == 0 ? kDefaultLatencyNs : ewma_sum_ / static_cast<double>(ewma_count_);
  // Decaying between samples too is what brings a host avoided for one slow answer back: its
  // estimate sinks below the others' (refreshed by their traffic) and it is tried again.
  return tau_ns_ <= 0 ? e.value : e.value * kept_since(e.stamp, now);
}

double Balancer::kept_since(Clock::time_point stamp, Clock::time_point now) const {
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - stamp).count();
  return elapsed <= 0 ? 1.0 : std::exp(-static_cast<double>(elapsed) / tau_ns_);
}

double Balancer::cost(std::size_t host, double weight, bool ewma, Clock::time_point now) const {
  const double w = std::max(weight, kLeastWeight);
  if (!ewma) return static_cast<double>(outstanding_[host]) / w;
  return estimate_ns(host, now) * (static_cast<double>(outstanding_[host]) + 1) / w;
}

bool Balancer::admit(std::size_t host, double weight) {
  const double full = tables_->weight(host);
  return weight >= full || uniform01(next_random()) * full < weight;
}

std::uint32_t Balancer::next_epoch() {
  if (++epoch_ == 0) {
    std::fill(seen_.begin(), seen_.end(), 0);
    epoch_ = 1;
  }
  return epoch_;
}

}  // namespace surge::detail
