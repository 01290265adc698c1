#include "upstream/upstream_pools.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

std::int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }

bool too_old(const UpstreamConnection& c, const UpstreamKeepalive& k, Clock::time_point now) {
  if (k.max_requests != 0 && c.requests() >= k.max_requests) return true;
  return ticks(now) - c.born() >= std::chrono::duration_cast<Clock::duration>(k.max_lifetime).count();
}

}  // namespace

// --- HostPool ------------------------------------------------------------------------------

HostPool::~HostPool() { close_idle(); }

UpstreamConnection* HostPool::take_idle(UpstreamUser& user) {
  const Clock::time_point now = cluster_.poller().now();
  while (UpstreamConnection* c = idle_.front()) {
    idle_.remove(*c);
    stats_.idle.add(-1);
    // A FIN or an error noted while it idled (an event not yet delivered in this round), or
    // bytes nobody asked for: the upstream is closing it. Never hand that one out. A readable
    // flag left from the last response's read costs one read that says EAGAIN.
    bool doubtful = c->socket().end_pending() || too_old(*c, cluster_.cluster().config().keepalive, now);
    if (!doubtful && c->socket().readable()) {
      char byte;
      doubtful = c->socket().receive(&byte, 1).status != IoStatus::kWouldBlock;
    }
    if (doubtful) {
      stats_.discarded_idle.add();
      close(*c);
      continue;
    }
    c->disarm();
    c->set_user(&user);
    stats_.active.add(1);
    return c;
  }
  return nullptr;
}

UpstreamConnection* HostPool::connect(UpstreamUser& user, boost::system::error_code& ec) {
  const auto addresses = cluster_.cluster().hosts()[index_]->addresses();
  if (addresses->empty()) {
    ec = boost::asio::error::host_not_found;
    return nullptr;
  }
  const HostAddress& address = (*addresses)[next_address_++ % addresses->size()];
  auto* c = new UpstreamConnection(*this, &cluster_.buffers());
  stats_.connects.add();
  ec = c->socket().connect(reinterpret_cast<const sockaddr*>(&address.storage), address.length,
                           cluster_.poller(), *c);
  if (ec) {
    stats_.connect_failures.add();
    delete c;  // never registered an event: no round can name it
    return nullptr;
  }
  c->set_connecting(true);
  c->set_born(ticks(cluster_.poller().now()));
  c->set_user(&user);
  cluster_.count_open(1);
  stats_.active.add(1);
  return c;
}

void HostPool::give_back(UpstreamConnection& c, bool reusable) {
  c.set_user(nullptr);
  stats_.active.add(-1);
  const UpstreamKeepalive& k = cluster_.cluster().config().keepalive;
  const Clock::time_point now = cluster_.poller().now();
  if (!reusable || idle_.size() >= k.idle_per_host || too_old(c, k, now) || !c.input().empty()) {
    cluster_.count_open(-1);
    c.disarm();
    c.socket().close();
    cluster_.bury(&c);
    return;
  }
  c.input().release();  // an idle connection holds no buffer
  idle_.push_front(c);
  stats_.idle.add(1);
  cluster_.arm(c, UpstreamWait::kIdle, now);
}

void HostPool::close(UpstreamConnection& c) {
  if (c.linked()) {
    idle_.remove(c);
    stats_.idle.add(-1);
  } else if (c.user() != nullptr) {
    c.set_user(nullptr);
    stats_.active.add(-1);
  }
  c.disarm();
  c.socket().close();
  cluster_.count_open(-1);
  cluster_.bury(&c);
}

void HostPool::close_idle() {
  while (UpstreamConnection* c = idle_.front()) close(*c);
}

// --- ClusterPool ---------------------------------------------------------------------------

ClusterPool::ClusterPool(const std::shared_ptr<const ClusterHandle>& handle, EventPoller& poller,
                         SlabPool& buffers, std::vector<UpstreamConnection*>& closed,
                         std::vector<UpstreamTunnel*>& closed_tunnels, UpstreamStats& stats,
                         HostStatsRegistry& host_stats, std::size_t worker)
    : handle_(handle),
      cluster_(handle->cluster),
      poller_(poller),
      buffers_(buffers),
      closed_(closed),
      lists_{DeadlineList<UpstreamConnection>(cluster_->config().timeouts.connect),
             DeadlineList<UpstreamConnection>(cluster_->config().timeouts.read),
             DeadlineList<UpstreamConnection>(cluster_->config().timeouts.send),
             DeadlineList<UpstreamConnection>(cluster_->config().keepalive.idle_timeout)},
      random_state_(0x2545f4914f6cdd1dULL * (worker + 1)),
      tunnel_idle_(cluster_->config().tunnels.idle_timeout),
      closed_tunnels_(closed_tunnels),
      stats_(stats),
      // Each worker draws its own random choices; fixed per worker, so a run can be replayed.
      selector_(*cluster_, worker, 0x9e3779b97f4a7c15ULL * (worker + 1) ^ hash_key(cluster_->name())) {
  for (std::size_t i = 0; i < cluster_->hosts().size(); ++i) {
    HostStats& counters = host_stats.entry(cluster_->name(), cluster_->hosts()[i]->address(),
                                           cluster_->hosts()[i]->shared_health());
    hosts_.push_back(std::make_unique<HostPool>(*this, i, counters));
  }
}

void ClusterPool::expire(Clock::time_point now, spdlog::logger* log) {
  for (auto& list : lists_) list.expire(now);
  try_lists_.expire(now);
  waits_.expire(now);
  if (log != nullptr) selector_.tick(now, *log);
  tunnel_idle_.expire(now);
}

void ClusterPool::add_tunnel(UpstreamTunnel& tunnel) {
  tunnels_.push_front(tunnel);
  stats_.tunnels_opened.add();
  stats_.tunnels.add(1);
  touch_tunnel(tunnel);
}

void ClusterPool::end_tunnel(UpstreamTunnel& tunnel) {
  tunnel.disarm();
  tunnels_.remove(tunnel);
  stats_.tunnels.add(-1);
  closed_tunnels_.push_back(&tunnel);
}

void ClusterPool::close_tunnels() {
  while (UpstreamTunnel* tunnel = tunnels_.front()) tunnel->close_now();
}

ClusterPool::~ClusterPool() {
  for (void* block : free_blocks_) {
    unpoison(block, block_size_);
    ::operator delete(block);
  }
}

void* ClusterPool::take_block(std::size_t size) {
  if (block_size_ == 0) block_size_ = size;
  if (size != block_size_ || free_blocks_.empty()) return ::operator new(size);
  void* block = free_blocks_.back();
  free_blocks_.pop_back();
  unpoison(block, block_size_);
  return block;
}

void ClusterPool::give_block(void* block) {
  if (free_blocks_.size() >= 4096) {
    ::operator delete(block);
    return;
  }
  poison(block, block_size_);
  free_blocks_.push_back(block);
}

void ClusterPool::close_idle() {
  for (auto& host : hosts_) host->close_idle();
}

// --- UpstreamPools -------------------------------------------------------------------------

UpstreamPools::~UpstreamPools() {
  close_tunnels();
  for (auto& pool : pools_) pool->close_idle();
  after_round();
  // Lent connections belong to requests that the worker cancels before it goes; what is left
  // here is closed with the pools.
}

ClusterPool& UpstreamPools::pool(const std::shared_ptr<const ClusterHandle>& handle) {
  for (auto& pool : pools_) {
    if (&pool->cluster() == handle->cluster.get()) return *pool;
  }
  pools_.push_back(
      std::make_unique<ClusterPool>(handle, poller_, buffers_, closed_, closed_tunnels_, stats_, host_stats_, worker_));
  return *pools_.back();
}

void UpstreamPools::tick(Clock::time_point now, spdlog::logger* log) {
  for (auto& pool : pools_) pool->expire(now, log);
  // A cluster only this worker's pool still holds (a reload replaced it): close its idle
  // connections; once nothing is lent either, the pool goes.
  std::erase_if(pools_, [](const std::unique_ptr<ClusterPool>& pool) {
    if (!pool->retired()) return false;
    pool->close_idle();
    return pool->open_count() == 0 && pool->calls_in_flight() == 0;  // a call in backoff holds no connection
  });
}

void UpstreamPools::after_round() {
  for (UpstreamTunnel* tunnel : closed_tunnels_) delete tunnel;
  closed_tunnels_.clear();
  for (UpstreamConnection* c : closed_) {
    poller_.forget(*c);
    delete c;
  }
  closed_.clear();
}

void UpstreamPools::close_idle() {
  for (auto& pool : pools_) pool->close_idle();
}

void UpstreamPools::close_tunnels() {
  for (auto& pool : pools_) pool->close_tunnels();
}

std::size_t UpstreamPools::tunnel_count() const {
  std::size_t count = 0;
  for (const auto& pool : pools_) count += pool->tunnel_count();
  return count;
}

}  // namespace surge::detail
