#include "server/server_metrics.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <vector>

#include "server/offload_pool.hpp"
#include "server/worker.hpp"
#include "server/worker_pool.hpp"

namespace surge::detail {
namespace {

void pool_metrics(MetricSink& sink, std::string_view pool, double capacity, double in_use,
                  double misses) {
  sink.gauge("surge_pool_capacity", "Objects a per-worker pool holds before falling back to the heap, summed over workers.",
             {{"pool", pool}}, capacity);
  sink.gauge("surge_pool_in_use", "Objects handed out by the pools, summed over workers.", {{"pool", pool}}, in_use);
  sink.counter("surge_pool_misses_total", "Allocations served by the heap because a pool was exhausted.",
               {{"pool", pool}}, misses);
}

// The order of HostTotals::Totals::errors.
constexpr std::array<std::string_view, 4> kUpstreamErrorReasons{"connect_failure", "timeout", "reset", "bad_response"};

// Each host's figures summed over the workers, kept in the order first seen.
class HostTotals {
 public:
  struct Totals {
    std::string upstream, host;
    double requests = 0, reused = 0, connects = 0, retries = 0, failovers = 0, discarded_idle = 0;
    double active = 0, idle = 0;
    std::array<double, 4> errors{};  // connect_failure, timeout, reset, bad_response
    std::array<double, 5> responses{};
    // The host's shared health (the same for every worker: taken from the first that has it).
    bool has_health = false, usable = true, ejected = false, down = false;
    double ejections = 0, breaker_opens = 0, checks = 0, check_failures = 0;
    int breaker = -1;  // BreakerStatus, -1: no breaker
    struct Histogram {
      std::array<std::uint64_t, kUpstreamLatencyBounds.size() + 1> buckets{};
      double sum_s = 0;
      void add(const LatencyHistogram& h) {
        for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += h.buckets()[i].value();
        sum_s += static_cast<double>(h.sum_ns()) / 1e9;
      }
    } connect, first_byte, total;
  };

  void add(const HostStats& h) {
    Totals& t = find(h.upstream, h.host);
    t.requests += static_cast<double>(h.requests.value());
    t.reused += static_cast<double>(h.reused.value());
    t.connects += static_cast<double>(h.connects.value());
    t.retries += static_cast<double>(h.retries.value());
    t.failovers += static_cast<double>(h.next_host.value());
    t.discarded_idle += static_cast<double>(h.discarded_idle.value());
    t.active += static_cast<double>(h.active.value());
    t.idle += static_cast<double>(h.idle.value());
    t.errors[0] += static_cast<double>(h.connect_failures.value());
    t.errors[1] += static_cast<double>(h.timeouts.value());
    t.errors[2] += static_cast<double>(h.resets.value());
    t.errors[3] += static_cast<double>(h.bad_responses.value());
    for (std::size_t i = 0; i < t.responses.size(); ++i) t.responses[i] += static_cast<double>(h.responses[i].value());
    t.connect.add(h.connect);
    t.first_byte.add(h.first_byte);
    t.total.add(h.total);
    if (h.health && !t.has_health) {
      const HostHealth& health = *h.health;
      t.has_health = true;
      t.usable = health.usable(now_) && health.breaker_admits(now_);
      t.ejected = health.ejected(now_);
      t.down = health.active_down();
      t.ejections = static_cast<double>(health.ejections_total());
      t.breaker_opens = static_cast<double>(health.breaker_opens_total());
      t.checks = static_cast<double>(health.checks_total());
      t.check_failures = static_cast<double>(health.check_failures_total());
      if (const CircuitBreaker* breaker = health.breaker()) t.breaker = static_cast<int>(breaker->state().status);
    }
  }
  const std::vector<Totals>& all() const { return totals_; }
  /// Every host together (the unlabelled surge_upstream_* series).
  Totals sum() const {
    Totals all;
    for (const Totals& t : totals_) {
      all.requests += t.requests;
      all.reused += t.reused;
      all.connects += t.connects;
      all.retries += t.retries;
      all.discarded_idle += t.discarded_idle;
      all.active += t.active;
      all.idle += t.idle;
      for (std::size_t i = 0; i < all.errors.size(); ++i) all.errors[i] += t.errors[i];
    }
    return all;
  }

 private:
  Totals& find(const std::string& upstream, const std::string& host) {
    for (Totals& t : totals_) {
      if (t.upstream == upstream && t.host == host) return t;
    }
    totals_.push_back({upstream, host});
    return totals_.back();
  }
  std::vector<Totals> totals_;
  Clock::time_point now_ = Clock::now();
};

// Hosts of each upstream that take requests: the alert's "no healthy host" is this at 0.
void report_upstreams(MetricSink& sink, const HostTotals& hosts) {
  std::vector<std::pair<std::string, std::pair<double, double>>> upstreams;  // name -> healthy, all
  for (const HostTotals::Totals& t : hosts.all()) {
    if (!t.has_health) continue;
    auto it = std::find_if(upstreams.begin(), upstreams.end(), [&](const auto& u) { return u.first == t.upstream; });
    if (it == upstreams.end()) it = upstreams.insert(upstreams.end(), {t.upstream, {0, 0}});
    it->second.first += t.usable ? 1 : 0;
    it->second.second += 1;
  }
  for (const auto& [name, counts] : upstreams) {
    sink.gauge("surge_upstream_healthy_hosts", "Hosts of each upstream that take requests now.",
               {{"upstream", name}}, counts.first);
    sink.gauge("surge_upstream_hosts", "Hosts of each upstream.", {{"upstream", name}}, counts.second);
  }
}

void report_hosts(MetricSink& sink, const HostTotals& hosts) {
  static constexpr std::array<std::string_view, 5> kClasses{"1xx", "2xx", "3xx", "4xx", "5xx"};
  const std::span<const double> bounds(kUpstreamLatencyBounds.data(), kUpstreamLatencyBounds.size());
  for (const HostTotals::Totals& t : hosts.all()) {
    const MetricLabel upstream{"upstream", t.upstream};
    const MetricLabel host{"host", t.host};
    sink.counter("surge_upstream_host_requests_total", "Requests sent to each upstream host.", {upstream, host},
                 t.requests);
    sink.counter("surge_upstream_host_requests_reused_total",
                 "Requests sent to each host on a pooled keep-alive connection (its reuse ratio: this over "
                 "surge_upstream_host_requests_total).",
                 {upstream, host}, t.reused);
    sink.counter("surge_upstream_host_retries_total",
                 "Requests sent again to each host after a reused connection closed before answering.", {upstream, host},
                 t.retries);
    sink.counter("surge_upstream_host_failovers_total",
                 "Requests that failed at each host before any response byte and went to another host.",
                 {upstream, host}, t.failovers);
    for (std::size_t i = 0; i < kClasses.size(); ++i) {
      sink.counter("surge_upstream_host_responses_total", "Response heads from each host, by status class.",
                   {upstream, host, {"code", kClasses[i]}}, t.responses[i]);
    }
    for (std::size_t i = 0; i < kUpstreamErrorReasons.size(); ++i) {
      sink.counter("surge_upstream_host_errors_total", "Proxied requests that failed at each host, by reason.",
                   {upstream, host, {"reason", kUpstreamErrorReasons[i]}}, t.errors[i]);
    }
    sink.gauge("surge_upstream_host_connections", "Connections to each host, by state.",
               {upstream, host, {"state", "active"}}, t.active);
    sink.gauge("surge_upstream_host_connections", "Connections to each host, by state.",
               {upstream, host, {"state", "idle"}}, t.idle);
    if (t.has_health) {
      sink.gauge("surge_upstream_host_healthy",
                 "1 while each host takes requests: not ejected, not failing its health check, breaker not open.",
                 {upstream, host}, t.usable ? 1 : 0);
      sink.gauge("surge_upstream_host_ejected", "1 while each host is ejected by outlier detection.", {upstream, host},
                 t.ejected ? 1 : 0);
      sink.gauge("surge_upstream_host_check_down", "1 while each host is out by its active health check.",
                 {upstream, host}, t.down ? 1 : 0);
      sink.counter("surge_upstream_host_ejections_total", "Times each host was ejected by outlier detection.",
                   {upstream, host}, t.ejections);
      sink.counter("surge_upstream_host_health_checks_total", "Active health checks of each host, by result.",
                   {upstream, host, {"result", "passed"}}, t.checks - t.check_failures);
      sink.counter("surge_upstream_host_health_checks_total", "Active health checks of each host, by result.",
                   {upstream, host, {"result", "failed"}}, t.check_failures);
      if (t.breaker >= 0) {
        sink.gauge("surge_upstream_host_breaker_state",
                   "Each host's breaker: 0 closed, 1 open, 2 half-open, 3 forced open, 4 forced closed.",
                   {upstream, host}, t.breaker);
        sink.counter("surge_upstream_host_breaker_opens_total", "Times each host's breaker opened.", {upstream, host},
                     t.breaker_opens);
      }
    }
    sink.histogram("surge_upstream_connect_duration_seconds", "Time to connect to each host (new connections).",
                   {upstream, host}, bounds, t.connect.buckets, t.connect.sum_s);
    sink.histogram("surge_upstream_header_duration_seconds",
                   "From the proxied request's start to the upstream's response head (connect included).",
                   {upstream, host}, bounds, t.first_byte.buckets, t.first_byte.sum_s);
    sink.histogram("surge_upstream_response_duration_seconds",
                   "From the proxied request's start to the upstream response's last byte.", {upstream, host}, bounds,
                   t.total.buckets, t.total.sum_s);
  }
}

}  // namespace

void collect_server_metrics(WorkerPool& pool, MetricSink& sink) {
  double open = 0, in_flight = 0, accepted = 0, refused = 0, accept_errors = 0;
  double deferred_timeouts = 0, deferred_abandoned = 0;
  struct UpstreamTotals {
    double tunnels_opened = 0, tunnels_refused = 0, tunnel_idle_timeouts = 0, tunnels = 0;
    double retry_budget_exhausted = 0, over_limits = 0, no_usable_host = 0, fallbacks = 0, stale_served = 0;
  } up;
  HostTotals hosts;
  double encoded = 0, encoded_in = 0, encoded_out = 0, encoding_failures = 0;
  std::array<double, static_cast<std::size_t>(CloseReason::kCount)> closed{};
  std::array<double, static_cast<std::size_t>(RequestError::kCount)> rejected{};
  struct PoolTotals {
    double capacity = 0, in_use = 0, misses = 0;
    void add(const PublishedPool& p) {
      capacity += static_cast<double>(p.capacity.value());
      in_use += static_cast<double>(p.in_use.value());
      misses += static_cast<double>(p.misses.value());
    }
  } buffers, exchanges, connections;

  for (std::size_t w = 0; w < pool.size(); ++w) {
    const WorkerStats& s = pool.worker(w).published_stats();
    open += static_cast<double>(s.open.value());
    in_flight += static_cast<double>(s.in_flight.value());
    accepted += static_cast<double>(s.accepted.value());
    refused += static_cast<double>(s.refused.value());
    accept_errors += static_cast<double>(s.accept_errors.value());
    deferred_timeouts += static_cast<double>(s.deferred_timeouts.value());
    deferred_abandoned += static_cast<double>(s.deferred_abandoned.value());
    for (std::size_t r = 0; r < closed.size(); ++r) closed[r] += static_cast<double>(s.closed[r].value());
    for (std::size_t e = 0; e < rejected.size(); ++e) rejected[e] += static_cast<double>(s.rejected[e].value());
    const UpstreamStats& u = pool.worker(w).upstreams().stats();
    up.tunnels_opened += static_cast<double>(u.tunnels_opened.value());
    up.tunnels_refused += static_cast<double>(u.tunnels_refused.value());
    up.tunnel_idle_timeouts += static_cast<double>(u.tunnel_idle_timeouts.value());
    up.tunnels += static_cast<double>(u.tunnels.value());
    up.retry_budget_exhausted += static_cast<double>(u.retry_budget_exhausted.value());
    up.over_limits += static_cast<double>(u.over_limits.value());
    up.no_usable_host += static_cast<double>(u.no_usable_host.value());
    up.fallbacks += static_cast<double>(u.fallbacks.value());
    up.stale_served += static_cast<double>(u.stale_served.value());
    pool.worker(w).upstreams().host_stats().for_each([&](const HostStats& h) { hosts.add(h); });
    const EncodingStats& e = pool.worker(w).encoding_stats();
    encoded += static_cast<double>(e.encoded.value());
    encoded_in += static_cast<double>(e.bytes_in.value());
    encoded_out += static_cast<double>(e.bytes_out.value());
    encoding_failures += static_cast<double>(e.failures.value());
    buffers.add(s.buffers);
    exchanges.add(s.exchanges);
    connections.add(s.connections);
    const std::string worker = std::to_string(w);
    sink.counter("surge_worker_requests_total",
                 "Requests answered by each worker (how evenly SO_REUSEPORT spreads the load).",
                 {{"worker", worker}}, static_cast<double>(s.requests.value()));
  }

  sink.gauge("surge_connections_open", "Open client connections.", {}, open);
  sink.counter("surge_connections_accepted_total", "Connections accepted.", {}, accepted);
  sink.counter("surge_connections_refused_total",
               "Connections answered 503 and closed because a worker had limits.max_connections_per_worker.",
               {}, refused);
  sink.counter("surge_accept_errors_total", "Failed accepts, running out of descriptors included.", {}, accept_errors);
  for (std::size_t r = 0; r < closed.size(); ++r) {
    sink.counter("surge_connections_closed_total", "Connections closed, by reason.",
                 {{"reason", to_string(static_cast<CloseReason>(r))}}, closed[r]);
  }
  for (std::size_t e = 1; e < rejected.size(); ++e) {  // 0 is kNone
    const RequestErrorInfo& i = info(static_cast<RequestError>(e));
    const std::string code = std::to_string(i.status);
    sink.counter("surge_requests_rejected_total",
                 "Requests the engine refused before any handler (parse errors, limits), by kind.",
                 {{"reason", i.kind}, {"code", code}}, rejected[e]);
  }
  sink.gauge("http_requests_in_flight", "Requests whose header was read and whose response is not yet queued.",
             {}, in_flight);
  sink.counter("surge_deferred_timeouts_total", "Asynchronous answers past their deadline (answered 504).", {},
               deferred_timeouts);
  sink.counter("surge_deferred_abandoned_total", "Deferred answers dropped without being resumed (answered 500).",
               {}, deferred_abandoned);
  sink.gauge("surge_offload_queue_depth", "Jobs waiting for an offload thread.", {},
             static_cast<double>(pool.offload_queue_depth()));
  sink.gauge("surge_workers", "Worker threads.", {}, static_cast<double>(pool.size()));
  const HostTotals::Totals all = hosts.sum();
  sink.counter("surge_upstream_requests_total", "Requests sent to upstreams by proxy routes.", {}, all.requests);
  sink.counter("surge_upstream_requests_reused_total",
               "Proxied requests sent on a pooled keep-alive connection (reuse ratio: this over surge_upstream_requests_total).",
               {}, all.reused);
  sink.counter("surge_upstream_connects_total", "Connections opened to upstream hosts.", {}, all.connects);
  sink.counter("surge_upstream_retries_total",
               "Requests sent again on a new connection after a reused one closed before answering (the keep-alive race).",
               {}, all.retries);
  for (std::size_t i = 0; i < kUpstreamErrorReasons.size(); ++i) {
    sink.counter("surge_upstream_errors_total", "Proxied requests that failed at the upstream, by reason.",
                 {{"reason", kUpstreamErrorReasons[i]}}, all.errors[i]);
  }
  sink.counter("surge_upstream_idle_discarded_total",
               "Idle pooled connections the upstream closed (or sent stray bytes on), discarded before reuse.", {},
               all.discarded_idle);
  sink.gauge("surge_upstream_connections", "Upstream connections, by state.", {{"state", "active"}}, all.active);
  sink.gauge("surge_upstream_connections", "Upstream connections, by state.", {{"state", "idle"}}, all.idle);
  report_hosts(sink, hosts);
  report_upstreams(sink, hosts);
  sink.counter("surge_upstream_over_limits_total",
               "Proxied requests answered 503 at an upstream's limits.max_requests or max_pending.", {}, up.over_limits);
  sink.counter("surge_upstream_no_usable_host_total",
               "Proxied requests with no host to go to (all ejected, failing health checks or breaker open).", {},
               up.no_usable_host);
  sink.counter("surge_upstream_fallbacks_total", "A proxy route's fallback answer served instead of an error.", {},
               up.fallbacks);
  sink.counter("surge_upstream_stale_served_total",
               "A proxy route's last good answer to a GET served because the upstream could not answer (stale-if-error).",
               {}, up.stale_served);
  sink.counter("surge_upstream_retry_budget_exhausted_total",
               "Requests that could have gone to another host after a failure but for the retry budget.", {},
               up.retry_budget_exhausted);
  sink.gauge("surge_upstream_tunnels", "Open tunnels (WebSocket and other Upgrades relayed after a 101).", {},
             up.tunnels);
  sink.counter("surge_upstream_tunnels_opened_total", "Connections that became tunnels after the upstream's 101.",
               {}, up.tunnels_opened);
  sink.counter("surge_upstream_tunnels_refused_total",
               "Upgrade requests answered 503 at tunnels.max_per_worker.", {}, up.tunnels_refused);
  sink.counter("surge_upstream_tunnel_idle_timeouts_total", "Tunnels closed idle past tunnels.idle_timeout_ms.",
               {}, up.tunnel_idle_timeouts);
  sink.counter("surge_compressed_responses_total",
               "Responses compressed per request (handler, proxied and streamed bodies; not prepared answers or "
               "precompressed files).",
               {}, encoded);
  sink.counter("surge_compression_bytes_total", "Body bytes through per-request compression, before and after.",
               {{"stage", "in"}}, encoded_in);
  sink.counter("surge_compression_bytes_total", "Body bytes through per-request compression, before and after.",
               {{"stage", "out"}}, encoded_out);
  sink.counter("surge_compression_failures_total",
               "Compression library failures (the response went uncompressed, or a stream was cut).", {},
               encoding_failures);
  pool_metrics(sink, "buffers", buffers.capacity, buffers.in_use, buffers.misses);
  pool_metrics(sink, "contexts", exchanges.capacity, exchanges.in_use, exchanges.misses);
  pool_metrics(sink, "connections", connections.capacity, connections.in_use, connections.misses);
}

}  // namespace surge::detail
