#pragma once
// HostStats: one worker's figures for one host of one upstream, labelled for the exporter.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "metrics/counter.hpp"
#include "upstream/host_health.hpp"

namespace surge::detail {

/// Upper bounds of the upstream latency buckets, in seconds: Prometheus' defaults with a
/// sub-millisecond end, where a pooled upstream on the same network answers.
inline constexpr std::array<double, 15> kUpstreamLatencyBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                               0.005,  0.01,    0.025,  0.05,  0.1,
                                                               0.25,   0.5,     1,      2.5,   10};

/// A latency histogram with one writer (the worker) and lock-free readers (the exporter).
class LatencyHistogram final {
 public:
  void observe(std::chrono::nanoseconds elapsed);
  /// Per bucket, not cumulative; the last counts what is above every bound.
  const std::array<Counter, kUpstreamLatencyBounds.size() + 1>& buckets() const { return buckets_; }
  std::uint64_t sum_ns() const { return sum_ns_.value(); }

 private:
  std::array<Counter, kUpstreamLatencyBounds.size() + 1> buckets_;
  Counter sum_ns_;
};

/// Written by the worker's proxied requests and pools, read by the exporter.
struct HostStats {
  HostStats(std::string upstream_name, std::string host_address)
      : upstream(std::move(upstream_name)), host(std::move(host_address)) {}

  const std::string upstream;  // the upstream's name
  const std::string host;      // the server's address as configured
  Counter requests;
  Counter reused;            // requests sent on a connection taken from the pool
  Counter connects;
  Counter connect_failures;
  Counter timeouts;
  Counter resets;            // the connection failed before or during the response
  Counter bad_responses;     // framing the strict parser refused (502)
  Counter retries;           // the keep-alive race: replayed once on a fresh connection
  Counter next_host;         // failed here before any response byte, sent to another host
  Counter discarded_idle;    // idle connections the upstream closed (or that sent stray bytes)
  std::array<Counter, 5> responses;  // response heads from the upstream, by class: 1xx .. 5xx
  Gauge active;
  Gauge idle;
  LatencyHistogram connect;     // connect started -> connected
  LatencyHistogram first_byte;  // request begun -> response head parsed (connect included)
  LatencyHistogram total;       // request begun -> response's last byte

  // The host's shared health as of the worker's newest pool for it (guarded by the registry's
  // mutex: replaced when a reload's pool is made, read at scrape time).
  std::shared_ptr<const HostHealth> health;

  void count_response(int status) {
    if (status >= 100 && status < 600) responses[static_cast<std::size_t>(status / 100 - 1)].add();
  }
};

/// One worker's HostStats, one per (upstream, host) it has ever had a pool for. Entries are never
/// removed while the worker lives: a reload that keeps a host keeps its counters (Prometheus sees
/// no reset), and the exporter can read an entry while the worker adds others. The mutex guards
/// the list only: taken when a pool is made and at scrape time, never per request.
class HostStatsRegistry final {
 public:
  /// Worker thread: the entry for this upstream and host, made on first use.
  HostStats& entry(std::string_view upstream, std::string_view host,
                   std::shared_ptr<const HostHealth> health = nullptr);
  /// Any thread: calls visit(const HostStats&) for each entry.
  template <class Visit>
  void for_each(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const HostStats& s : entries_) visit(s);
  }

 private:
  mutable std::mutex mutex_;
  std::deque<HostStats> entries_;  // a deque: growing never moves an entry
};

}  // namespace surge::detail
