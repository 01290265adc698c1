#pragma once
// UpstreamPools: one worker's keep-alive connections to every upstream host.

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/system/error_code.hpp>

#include "memory/intrusive_list.hpp"
#include "memory/slab_pool.hpp"
#include "metrics/counter.hpp"
#include "net/deadline_list.hpp"
#include "net/event_poller.hpp"
#include "upstream/cluster.hpp"
#include "upstream/host_selector.hpp"
#include "upstream/host_stats.hpp"
#include "upstream/upstream_connection.hpp"

namespace surge::detail {

class ClusterPool;

/// One worker's counters that belong to no single host, every upstream together: tunnels and the
/// retry budget (the per-host figures are HostStats).
struct UpstreamStats {
  Counter tunnels_opened;   // connections relayed as bytes after a 101
  Counter tunnels_refused;  // Upgrade requests over tunnels.max_per_worker (503)
  Counter tunnel_idle_timeouts;
  Gauge tunnels;
  Counter retry_budget_exhausted;  // a request that could have tried another host, refused by the budget
  Counter over_limits;             // refused at the upstream's limits.max_requests or max_pending (503)
  Counter no_usable_host;          // every host ejected, down, open or tried: nothing to send to
  Counter fallbacks;               // a route's fallback answer served instead of an error
  Counter stale_served;            // a kept answer served because the upstream could not (stale-if-error)
};

/// A client connection and an upstream connection relayed as bytes after the upstream's 101
/// (proxy/Tunnel). Its cluster's pool counts it against tunnels.max_per_worker, closes it when
/// idle past tunnels.idle_timeout and at shutdown, and frees it after the poller's round in
/// which it closed. Its upstream connection stays lent to it, never pooled, so a cluster
/// replaced by a reload keeps its pool until its tunnels end.
class UpstreamTunnel : public DeadlineHook, public ListHook {
 public:
  virtual ~UpstreamTunnel() = default;
  /// Idle past the cluster's tunnels.idle_timeout.
  virtual void on_deadline() = 0;
  /// Closes both ends now (the worker stops).
  virtual void close_now() = 0;

 protected:
  UpstreamTunnel() = default;
};

/// Something that waits on a ClusterPool's clock without a connection (a request's backoff
/// before its next try). Unlinked when destroyed.
class UpstreamWaiter : public DeadlineHook {
 public:
  virtual void on_deadline() = 0;

 protected:
  UpstreamWaiter() = default;
  ~UpstreamWaiter() = default;
};

/// Per-worker state of one route kept beside its cluster's pool (a proxy route's stale answers):
/// made on first use, gone with the pool (a reload that rebuilds the cluster starts it afresh).
class RouteLocal {
 public:
  virtual ~RouteLocal() = default;
};

/// The connections of one worker to one host.
class HostPool final {
 public:
  HostPool(ClusterPool& cluster, std::size_t index, HostStats& stats)
      : cluster_(cluster), index_(index), stats_(stats) {}
  ~HostPool();
  HostPool(const HostPool&) = delete;
  HostPool& operator=(const HostPool&) = delete;

  ClusterPool& cluster() const { return cluster_; }
  std::size_t index() const { return index_; }
  HostStats& stats() { return stats_; }
  std::size_t idle_count() const { return idle_.size(); }

  /// An idle connection, lent to user, or null.
  UpstreamConnection* take_idle(UpstreamUser& user);
  /// A new connection to the host, connecting, lent to user; null with ec when it cannot start.
  UpstreamConnection* connect(UpstreamUser& user, boost::system::error_code& ec);
  /// The user is done: a connection whose last response was complete and reusable goes back to
  /// the idle list (within the caps), any other is closed.
  void give_back(UpstreamConnection& connection, bool reusable);
  /// Closes a connection (lent or idle); its memory goes after the poller's round.
  void close(UpstreamConnection& connection);
  /// Closes every idle connection (shutdown, an old cluster after a reload).
  void close_idle();

 private:
  ClusterPool& cluster_;
  std::size_t index_;
  IntrusiveList<UpstreamConnection> idle_;
  HostStats& stats_;
  std::uint32_t next_address_ = 0;
};

/// What a user arms on a connection: one of the cluster's timeouts.
enum class UpstreamWait : std::uint8_t { kConnect, kRead, kSend, kIdle, kCount };

/// One worker's pools to the hosts of one cluster, with the deadline lists of its timeouts.
class ClusterPool final {
 public:
  ClusterPool(const std::shared_ptr<const ClusterHandle>& handle, EventPoller& poller, SlabPool& buffers,
              std::vector<UpstreamConnection*>& closed, std::vector<UpstreamTunnel*>& closed_tunnels,
              UpstreamStats& stats, HostStatsRegistry& host_stats, std::size_t worker);
  ClusterPool(const ClusterPool&) = delete;
  ClusterPool& operator=(const ClusterPool&) = delete;

  const Cluster& cluster() const { return *cluster_; }
  /// No route names the cluster any more (a reload replaced it).
  bool retired() const { return handle_.expired(); }
  EventPoller& poller() const { return poller_; }
  SlabPool& buffers() const { return buffers_; }
  /// The worker's counters that belong to no single host (every cluster together).
  UpstreamStats& stats() const { return stats_; }
  HostPool& host(std::size_t index) { return *hosts_[index]; }
  std::size_t host_count() const { return hosts_.size(); }
  /// A host for a request (HostSelector::pick), settled when the request ends there.
  HostPick pick(std::span<const std::uint32_t> tried, std::optional<std::uint64_t> key, spdlog::logger& log) {
    return selector_.pick(tried, key, poller_.now(), log);
  }
  void settle(HostPick& pick, HostOutcome outcome, int status, spdlog::logger& log) {
    selector_.settle(pick, outcome, status, poller_.now(), log);
  }

  void arm(UpstreamConnection& connection, UpstreamWait what, Clock::time_point now) {
    lists_[static_cast<std::size_t>(what)].arm(connection, now);
  }
  /// Arms a connection for `timeout` (a route's per-try timeout) instead of one of the cluster's.
  void arm_for(UpstreamConnection& connection, Clock::duration timeout, Clock::time_point now) {
    try_lists_.list(timeout).arm(connection, now);
  }
  /// Wakes waiter after `delay`.
  void wait(UpstreamWaiter& waiter, Clock::duration delay) { waits_.list(delay).arm(waiter, poller_.now()); }
  /// 64 random bits (this worker's own sequence): backoff jitter.
  std::uint64_t random() { return splitmix64(random_state_); }
  void expire(Clock::time_point now, spdlog::logger* log);
  /// Connections lent or idle.
  std::size_t open_count() const { return open_; }
  void count_open(int delta) { open_ = static_cast<std::size_t>(static_cast<std::int64_t>(open_) + delta); }
  /// A closed connection waits here until the poller's round is over.
  void bury(UpstreamConnection* connection) { closed_.push_back(connection); }
  void close_idle();

  /// Proxied requests in flight and those of them that went to another host after a failure:
  /// Envoy's retry budget, so a failing upstream cannot multiply its load: retries in flight stay
  /// within 20 % of the requests in flight, or 3 when that is fewer.
  void count_call(int delta) { calls_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(calls_) + delta); }
  std::uint32_t calls_in_flight() const { return calls_; }
  void count_retry(int delta) { retries_ = static_cast<std::uint32_t>(static_cast<std::int64_t>(retries_) + delta); }
  bool retry_allowed(const UpstreamRetry& r) const {
    return retries_ < std::max<std::uint32_t>(r.budget_min, calls_ * r.budget_percent / 100);
  }

  /// Whether one more tunnel fits under tunnels.max_per_worker.
  bool tunnel_room() const { return tunnels_.size() < cluster_->config().tunnels.max_per_worker; }
  std::size_t tunnel_count() const { return tunnels_.size(); }
  /// A tunnel opened: counted, and its idle deadline armed.
  void add_tunnel(UpstreamTunnel& tunnel);
  /// Bytes moved through it: its idle deadline starts again.
  void touch_tunnel(UpstreamTunnel& tunnel) { tunnel_idle_.arm(tunnel, poller_.now()); }
  /// It closed (both ends): its memory goes after the poller's round.
  void end_tunnel(UpstreamTunnel& tunnel);
  void close_tunnels();

  /// The route's own state on this worker (T derives from RouteLocal), made by make() on first use.
  template <class T, class Make>
  T& route_local(const void* route, Make make) {
    for (auto& [key, state] : route_locals_) {
      if (key == route) return static_cast<T&>(*state);
    }
    route_locals_.emplace_back(route, make());
    return static_cast<T&>(*route_locals_.back().second);
  }

  /// Memory for the per-request state of a proxy route (one size per pool): blocks given back are
  /// kept for the next request, so a warm worker does not allocate. Poisoned while kept.
  void* take_block(std::size_t size);
  void give_block(void* block);
  ~ClusterPool();

 private:
  std::weak_ptr<const ClusterHandle> handle_;
  std::shared_ptr<const Cluster> cluster_;
  EventPoller& poller_;
  SlabPool& buffers_;
  std::vector<UpstreamConnection*>& closed_;
  std::vector<std::unique_ptr<HostPool>> hosts_;
  std::array<DeadlineList<UpstreamConnection>, static_cast<std::size_t>(UpstreamWait::kCount)> lists_;
  DeadlineListSet<UpstreamConnection> try_lists_;
  DeadlineListSet<UpstreamWaiter> waits_;
  std::uint64_t random_state_;
  IntrusiveList<UpstreamTunnel> tunnels_;
  DeadlineList<UpstreamTunnel> tunnel_idle_;
  std::vector<UpstreamTunnel*>& closed_tunnels_;
  UpstreamStats& stats_;
  std::size_t open_ = 0;
  std::uint32_t calls_ = 0;
  std::uint32_t retries_ = 0;
  HostSelector selector_;
  std::vector<std::pair<const void*, std::unique_ptr<RouteLocal>>> route_locals_;
  std::vector<void*> free_blocks_;
  std::size_t block_size_ = 0;
};

/// Every cluster pool of one worker (owned by the Worker, touched by its thread only). A cluster
/// replaced by a reload keeps its pool while connections drain; the pool goes when it has none.
class UpstreamPools final {
 public:
  UpstreamPools(EventPoller& poller, SlabPool& buffers, std::size_t worker = 0)
      : poller_(poller), buffers_(buffers), worker_(worker) {
    closed_.reserve(64);
  }
  ~UpstreamPools();
  UpstreamPools(const UpstreamPools&) = delete;
  UpstreamPools& operator=(const UpstreamPools&) = delete;

  /// This worker's pool for cluster (made on first use).
  ClusterPool& pool(const std::shared_ptr<const ClusterHandle>& handle);
  /// The worker's tick: deadlines, the hosts' breakers, and pools of clusters no route names any
  /// more. `log` for the breakers' moves (null: not logged).
  void tick(Clock::time_point now, spdlog::logger* log = nullptr);
  /// After each round of the poller: frees the connections closed during it.
  void after_round();
  /// Shutdown: closes the idle connections.
  void close_idle();
  /// The worker stops: closes every tunnel.
  void close_tunnels();
  /// Open tunnels, every cluster together (a draining worker waits for them).
  std::size_t tunnel_count() const;
  const std::vector<std::unique_ptr<ClusterPool>>& pools() const { return pools_; }
  /// Any thread (the exporter).
  const UpstreamStats& stats() const { return stats_; }
  const HostStatsRegistry& host_stats() const { return host_stats_; }

 private:
  EventPoller& poller_;
  SlabPool& buffers_;
  std::size_t worker_;
  UpstreamStats stats_;
  HostStatsRegistry host_stats_;
  std::vector<std::unique_ptr<ClusterPool>> pools_;
  std::vector<UpstreamConnection*> closed_;
  std::vector<UpstreamTunnel*> closed_tunnels_;
};

}  // namespace surge::detail
