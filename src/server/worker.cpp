#include "server/worker.hpp"

#include <algorithm>
#include <functional>

#include <boost/asio/post.hpp>
#include <spdlog/logger.h>

#include "server/reuseport_acceptor.hpp"

namespace surge::detail {
namespace {

using std::chrono::milliseconds;

// Free I/O buffers kept resident per worker (256 KiB at the default 4 KiB): enough for the busy
// connections of a keep-alive benchmark to never page-fault; the rest of a burst's buffers go
// back to the kernel once their connections have parked, so idle connections cost almost nothing.
constexpr std::size_t kWarmBuffers = 64;
// Free buffers unused for a whole period are trimmed; a second is long against request bursts.
constexpr Clock::duration kBufferTrimPeriod = std::chrono::seconds(1);

ParserLimits parser_limits(const LimitsConfig& limits) {
  return {limits.max_request_line_bytes, limits.max_header_bytes, limits.max_header_count,
          limits.max_body_bytes};
}

// Deadlines are checked on a tick: often enough for the shortest timeout to be honoured within a
// quarter of itself, never more often than every 10 ms, and at least every 250 ms (which also
// refreshes the Date header well within its one-second resolution).
std::array<DeadlineList<Http1Session>, static_cast<std::size_t>(Wait::kCount)> deadline_lists(
    const ServerConfig& config) {
  const TimeoutsConfig& t = config.timeouts;
  using List = DeadlineList<Http1Session>;
  // In Wait's order; kNone's list is never armed. Parked sessions keep their idle deadline.
  return {List(t.header), List(t.header), List(t.body), List(t.idle), List(t.idle), List(t.write),
          List(t.linger)};
}

Clock::duration tick_interval(const ServerConfig& config) {
  const TimeoutsConfig& t = config.timeouts;
  milliseconds shortest = std::min({t.header, t.body, t.idle, t.write, t.linger,
                                    config.pools.release_idle_after});
  return std::clamp(shortest / 4, milliseconds(10), milliseconds(250));
}

}  // namespace

Worker::Worker(std::size_t index, const ServerConfig& config,
               std::shared_ptr<const Application> app,
               std::vector<std::shared_ptr<RequestObserver>> observers,
               std::shared_ptr<spdlog::logger> log, const LoopClock* clock)
    : index_(index),
      config_(config),
      limits_(parser_limits(config.limits)),
      io_(1),
      poller_(io_, clock),
      log_(std::move(log)),
      buffers_(config.pools.buffer_bytes, config.pools.buffers_per_worker, kWarmBuffers),
      exchanges_(config.pools.contexts_per_worker,
                 [this](void* memory) { return new (memory) Exchange(limits_, &buffers_); }),
      // Connections closed in a round are freed at its end: a round of accepts that each reclaim
      // an idle connection holds up to a batch of them beyond the limit.
      sessions_pool_(std::make_unique<ObjectPool<Http1Session>>(
          config.limits.max_connections_per_worker + 2 * EventPoller::kMaxEvents)),
      writer_(config.server_header, date_),
      lists_(deadline_lists(config)),
      tick_(io_),
      tick_interval_(tick_interval(config)) {
  versions_.push_back({std::move(app), std::move(observers), 0});
  current_ = &versions_.back();
  anchor_ = std::make_shared<WorkerAnchor>();
  anchor_->worker = this;
  // A batch closes at most one connection per event it delivers (and per target it calls again).
  closed_in_round_.reserve(2 * EventPoller::kMaxEvents);
  poller_.set_after_round([](void* worker) { static_cast<Worker*>(worker)->destroy_closed(); }, this);
}

void Worker::release_app(AppVersion* version) {
  if (--version->users != 0 || version == current_) return;
  for (auto it = versions_.begin(); it != versions_.end(); ++it) {
    if (&*it == version) {
      versions_.erase(it);  // the last request using a replaced application finished
      return;
    }
  }
}

void Worker::post_swap_app(std::shared_ptr<const Application> app,
                           std::vector<std::shared_ptr<RequestObserver>> observers) {
  boost::asio::post(io_, [this, app = std::move(app), observers = std::move(observers)]() mutable {
    AppVersion* old = current_;
    versions_.push_back({std::move(app), std::move(observers), 0});
    current_ = &versions_.back();
    // Hold the old version once more and let it go: it is freed now if no request uses it.
    ++old->users;
    release_app(old);
  });
  poller_.wake();
}

void Worker::post_add_acceptor(std::shared_ptr<ReuseportAcceptor> acceptor) {
  boost::asio::post(io_, [this, acceptor = std::move(acceptor)] {
    if (draining_) return;
    acceptor->start();
    acceptors_.push_back(acceptor);
  });
  poller_.wake();
}

void Worker::post_remove_acceptor(boost::asio::ip::tcp::endpoint endpoint) {
  boost::asio::post(io_, [this, endpoint] {
    for (auto it = acceptors_.begin(); it != acceptors_.end(); ++it) {
      if ((*it)->local_endpoint() == endpoint) {
        (*it)->stop();
        // Stopped, it is out of the poller; its pause timer's handler may still be queued and use
        // it: kept until the worker ends.
        retired_acceptors_.push_back(std::move(*it));
        acceptors_.erase(it);
        return;
      }
    }
  });
  poller_.wake();
}

Worker::~Worker() {
  {
    // From here on, Deferreds still held somewhere resume into nothing.
    std::lock_guard lock(anchor_->mutex);
    anchor_->worker = nullptr;
  }
  // Handlers still queued (posts, the acceptors' pause timers) use this worker, its connections
  // and acceptors: close everything and let them run here, before that memory goes away;
  // otherwise the io_context would destroy them after it.
  close_everything();
  // Until nothing is left: a handler run here may stop the io_context again (a force-close
  // posted before the worker's loop ended), which would leave the rest queued.
  do {
    io_.restart();
  } while (io_.poll() > 0);
  acceptors_.clear();
  retired_acceptors_.clear();
}

void Worker::add_acceptor(std::shared_ptr<ReuseportAcceptor> acceptor) {
  acceptors_.push_back(std::move(acceptor));
}

void Worker::run() {
  publish_pool_stats();
  for (auto& acceptor : acceptors_) acceptor->start();
  schedule_tick();
  poller_.run();
  heartbeat_.store(Clock::time_point::max().time_since_epoch().count() / 2, std::memory_order_relaxed);
}

void Worker::post_retire_connections() {
  boost::asio::post(io_, [this] { retiring_ = true; });
  poller_.wake();
}

void Worker::post_stop_accepting() {
  boost::asio::post(io_, [this] {
    if (draining_) return;
    retiring_ = true;
    draining_ = true;
    for (auto& acceptor : acceptors_) acceptor->stop();
    close_idle_connections();
    maybe_finish();
  });
  poller_.wake();
}

void Worker::post_force_close() {
  boost::asio::post(io_, [this] {
    if (open_ > 0) log_->warn("worker {}: shutdown timeout, force-closing {} connections", index_, open_);
    close_everything();
    stopped_ = true;
    tick_.cancel();
    io_.stop();
  });
  poller_.wake();
}

void Worker::close_everything() {
  retiring_ = true;
  draining_ = true;
  for (auto& acceptor : acceptors_) acceptor->stop();
  while (!sessions_.empty()) sessions_.front()->abort(CloseReason::kServer);
  upstreams_.close_tunnels();
}

Http1Session* Worker::new_session() { return sessions_pool_->create(*this); }

void Worker::destroy(Http1Session* session) {
  if (poller_.in_round()) {
    closed_in_round_.push_back(session);
    return;
  }
  free_session(session);
}

void Worker::destroy_closed() {
  for (Http1Session* session : closed_in_round_) free_session(session);
  closed_in_round_.clear();
  upstreams_.after_round();
  // A draining worker also waits for its tunnels, which close without telling it.
  if (draining_) maybe_finish();
}

void Worker::free_session(Http1Session* session) {
  poller_.forget(*session);
  sessions_pool_->destroy(session);
}

void Worker::on_open(Http1Session& session) {
  ++open_;
  sessions_.push_front(session);
  stats_.open.add(1);
}

void Worker::on_closed(Http1Session& session, CloseReason reason) {
  --open_;
  sessions_.remove(session);
  stats_.open.add(-1);
  stats_.closed[static_cast<std::size_t>(reason)].add();
  if (draining_) maybe_finish();
}

void Worker::maybe_finish() {
  if (draining_ && open_ == 0 && !stopped_ && upstreams_.tunnel_count() == 0) {
    stopped_ = true;
    tick_.cancel();
    io_.stop();
  }
}

void Worker::schedule_tick() {
  tick_.expires_after(tick_interval_);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) on_tick();
  });
}

void Worker::on_tick() {
  const Clock::time_point now = poller_.now();
  heartbeat_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  date_.update(std::chrono::system_clock::now());
  for (Wait what : {Wait::kHeader, Wait::kBody, Wait::kIdle, Wait::kParked, Wait::kWrite,
                    Wait::kLinger}) {
    list(what).expire(now);
  }
  release_idle_buffers(now);
  if (now >= next_buffer_trim_) {
    buffers_.trim();
    next_buffer_trim_ = now + kBufferTrimPeriod;
  }
  expire_pending(now);
  upstreams_.tick(now, log_.get());
  publish_pool_stats();
  schedule_tick();
}

void Worker::publish_pool_stats() {
  stats_.buffers.publish(buffers_.stats());
  stats_.exchanges.publish(exchanges_.stats());
  stats_.connections.publish(sessions_pool_->stats());
}

std::pair<std::uint32_t, std::uint32_t> Worker::begin_pending(ExchangeOwner& owner,
                                                              Clock::duration timeout) {
  std::uint32_t slot;
  if (!free_pending_.empty()) {
    slot = free_pending_.back();
    free_pending_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(pending_.size());
    pending_.emplace_back();
  }
  PendingSlot& entry = pending_[slot];
  entry.owner = &owner;
  if (timeout != Clock::duration::max()) {
    pending_deadlines_.push_back({now() + timeout, slot, entry.generation});
    std::push_heap(pending_deadlines_.begin(), pending_deadlines_.end(), std::greater<>());
  }
  return {slot, entry.generation};
}

bool Worker::suspend(Exchange& exchange, Clock::duration timeout, std::uint32_t& generation) {
  AsyncState& async = exchange.async();
  if (async.owner == nullptr || async.pending) return false;
  const auto [slot, issued] = begin_pending(*async.owner, timeout);
  async.pending = true;
  async.slot = slot;
  generation = issued;
  return true;
}

Clock::duration Worker::handler_timeout(const Exchange& exchange) const {
  const std::chrono::milliseconds route = exchange.route().handler_timeout;
  return route.count() != 0 ? Clock::duration(route) : Clock::duration(config_.timeouts.handler);
}

void Worker::end_pending(std::uint32_t slot) {
  PendingSlot& entry = pending_[slot];
  if (entry.owner == nullptr) return;
  entry.owner = nullptr;
  ++entry.generation;  // any ticket for the old request is stale from now on
  free_pending_.push_back(slot);
  // Deadlines of answers that came go from the top of the heap now rather than when they would
  // have expired: answers that come about in order (a proxy's, at any rate) keep the heap as
  // small as what is pending, instead of every request of the last timeout's span.
  while (!pending_deadlines_.empty()) {
    const PendingDeadline& top = pending_deadlines_.front();
    if (pending_owner(top.slot, top.generation) != nullptr) break;
    std::pop_heap(pending_deadlines_.begin(), pending_deadlines_.end(), std::greater<>());
    pending_deadlines_.pop_back();
  }
}

ExchangeOwner* Worker::pending_owner(std::uint32_t slot, std::uint32_t generation) const {
  if (slot >= pending_.size()) return nullptr;
  const PendingSlot& entry = pending_[slot];
  return entry.generation == generation ? entry.owner : nullptr;
}

void Worker::post_resume(std::uint32_t slot, std::uint32_t generation,
                         std::function<void(Context&)> fill) {
  boost::asio::post(io_, [this, slot, generation, fill = std::move(fill)]() mutable {
    if (ExchangeOwner* owner = pending_owner(slot, generation)) owner->resume(fill);
  });
  poller_.wake();
}

void Worker::post_abandon(std::uint32_t slot, std::uint32_t generation) {
  boost::asio::post(io_, [this, slot, generation] {
    if (ExchangeOwner* owner = pending_owner(slot, generation)) {
      stats_.deferred_abandoned.add();
      owner->fail_pending(500, "internal server error: the handler dropped its response\n");
    }
  });
  poller_.wake();
}

void Worker::expire_pending(Clock::time_point now) {
  while (!pending_deadlines_.empty() && pending_deadlines_.front().when <= now) {
    PendingDeadline due = pending_deadlines_.front();
    std::pop_heap(pending_deadlines_.begin(), pending_deadlines_.end(), std::greater<>());
    pending_deadlines_.pop_back();
    if (ExchangeOwner* owner = pending_owner(due.slot, due.generation)) {
      stats_.deferred_timeouts.add();
      owner->fail_pending(504, "the handler did not answer in time (timeouts.handler_ms)\n");
    }
  }
}

void Worker::release_idle_buffers(Clock::time_point now) {
  // The hot idle list is ordered by when each session became idle (its deadline minus the idle
  // timeout), so the sessions idle long enough are at its head.
  DeadlineList<Http1Session>& hot = list(Wait::kIdle);
  const Clock::duration idle = hot.timeout();
  const Clock::duration after = config_.pools.release_idle_after;
  while (Http1Session* session = hot.front()) {
    if (session->deadline() - idle + after > now) break;
    session->park();
    if (hot.front() == session) break;  // not parkable right now (no read pending): next tick
  }
}

bool Worker::reclaim_idle_connection() {
  // nginx's ngx_drain_connections: the longest-idle keep-alive connection makes way, then a
  // connection that has sent nothing yet. A few at the head of each list are looked at, so a list
  // headed by slow requests in progress costs a bounded scan.
  constexpr int kScan = 16;
  for (Wait what : {Wait::kParked, Wait::kIdle, Wait::kHeader}) {
    Http1Session* session = list(what).front();
    for (int scanned = 0; session != nullptr && scanned < kScan; ++scanned) {
      Http1Session* next = DeadlineList<Http1Session>::after(*session);
      if (session->close_if_idle(CloseReason::kReclaimed)) return true;
      session = next;
    }
  }
  return false;
}

void Worker::close_idle_connections() {
  upstreams_.close_idle();
  // Sessions waiting for their first request byte count as idle too; those in the middle of a
  // request finish it and close after the response.
  for (Http1Session* session = sessions_.front(); session != nullptr;) {
    Http1Session* next = IntrusiveList<Http1Session>::next(*session);
    session->close_if_idle(CloseReason::kServer);
    session = next;
  }
}

}  // namespace surge::detail
