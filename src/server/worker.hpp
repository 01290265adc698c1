#pragma once
// Worker: one thread, one io_context, its acceptors, and every connection they accepted.

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <surge/config.hpp>

#include "http/application.hpp"
#include "http/date_cache.hpp"
#include "http/exchange.hpp"
#include "http/request_error.hpp"
#include "http/response_encoding.hpp"
#include "http/response_writer.hpp"
#include "memory/recycling_pool.hpp"
#include "memory/slab_pool.hpp"
#include "metrics/counter.hpp"
#include "server/close_reason.hpp"
#include "memory/intrusive_list.hpp"
#include "net/deadline_list.hpp"
#include "net/event_poller.hpp"
#include "net/loop_clock.hpp"
#include "server/http1_session.hpp"
#include "server/request_observer.hpp"
#include "upstream/upstream_pools.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

class OffloadPool;
class ReuseportAcceptor;

/// An application (routes, middleware) and the observers that go with it, as one worker uses
/// it. A request binds to the version current when it starts and keeps it to the end, so a
/// reload never changes the routes or middleware under a request in progress. Worker-local:
/// `users` is a plain counter.
struct AppVersion {
  std::shared_ptr<const Application> app;
  std::vector<std::shared_ptr<RequestObserver>> observers;
  std::uint32_t users = 0;
};

/// What a Deferred holds on to: the worker while it exists. The worker clears the pointer (under
/// the mutex) before it is destroyed, so a Deferred resumed after the server is gone does
/// nothing instead of touching freed memory. Taken only by resume/abandon, never per request.
struct WorkerAnchor {
  std::mutex mutex;
  Worker* worker;
};

/// A pool's figures as last published by its worker (its tick copies them here, so the pool
/// itself stays plain, single-threaded data).
struct PublishedPool {
  Gauge capacity;
  Gauge in_use;
  Gauge misses;
  void publish(const PoolStats& s) {
    capacity.set(static_cast<std::int64_t>(s.capacity));
    in_use.set(static_cast<std::int64_t>(s.in_use));
    misses.set(static_cast<std::int64_t>(s.misses));
  }
};

/// The worker's counters: written only by the worker thread, read by the exporter.
struct WorkerStats {
  Counter accepted;
  Counter refused;        // over limits.max_connections_per_worker
  Counter accept_errors;  // includes running out of file descriptors
  Gauge open;
  Gauge in_flight;  // header received, response not yet queued (deferred answers included)
  Counter requests;
  Counter deferred_timeouts;   // asynchronous answers past their deadline (504)
  Counter deferred_abandoned;  // a Deferred dropped without resume (500)
  std::array<Counter, static_cast<std::size_t>(CloseReason::kCount)> closed;
  std::array<Counter, static_cast<std::size_t>(RequestError::kCount)> rejected;
  PublishedPool buffers;
  PublishedPool exchanges;
  PublishedPool connections;
};

/// Everything a connection needs lives here and is touched only by this worker's thread: pools,
/// deadline lists, date cache, counters. Other threads talk to a worker only by post()ing to its
/// io_context (stop accepting, force close, swap the application).
class Worker final {
 public:
  /// clock: where the loop reads the time (null: the steady clock); tests move it by hand.
  Worker(std::size_t index, const ServerConfig& config, std::shared_ptr<const Application> app,
         std::vector<std::shared_ptr<RequestObserver>> observers,
         std::shared_ptr<spdlog::logger> log, const LoopClock* clock = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::size_t index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  EventPoller& poller() { return poller_; }
  /// The time the current round of the loop began (read once per round).
  Clock::time_point now() const { return poller_.now(); }

  /// Main thread, before run(): takes an acceptor already bound and listening.
  void add_acceptor(std::shared_ptr<ReuseportAcceptor> acceptor);
  const std::vector<std::shared_ptr<ReuseportAcceptor>>& acceptors() const { return acceptors_; }
  /// The worker thread's body: accepts and serves until stopped.
  void run();

  // Called from any thread.
  /// Shutdown began: every response from now on says Connection: close, so keep-alive
  /// connections retire one by one at a response boundary (no race with a client reusing them),
  /// while the acceptors still take new connections.
  void post_retire_connections();
  /// Graceful: close the acceptors and idle connections; the rest close after their response.
  void post_stop_accepting();
  /// Close every connection now and stop.
  void post_force_close();
  /// New requests use app (and observers) from now on; requests in progress finish with theirs.
  void post_swap_app(std::shared_ptr<const Application> app,
                     std::vector<std::shared_ptr<RequestObserver>> observers);
  /// Starts accepting on an acceptor bound on another thread (a listener added by a reload).
  void post_add_acceptor(std::shared_ptr<ReuseportAcceptor> acceptor);
  /// Stops and drops the acceptor listening on endpoint (a listener removed by a reload).
  void post_remove_acceptor(boost::asio::ip::tcp::endpoint endpoint);

  // Worker thread only, for connections and acceptors.
  const ServerConfig& config() const { return config_; }
  SlabPool& buffers() { return buffers_; }
  Exchange* acquire_exchange() { return exchanges_.acquire(); }
  void release_exchange(Exchange* exchange) { exchanges_.release(exchange); }
  const ResponseWriter& writer() const { return writer_; }
  /// Content codings of the responses of routes that compress.
  ResponseEncoding& encoding() { return encoding_; }
  /// Any thread (the exporter): the encoding counters.
  const EncodingStats& encoding_stats() const { return encoding_.stats(); }
  /// The version a request starting now uses; release it when the request is done.
  AppVersion* acquire_app() {
    ++current_->users;
    return current_;
  }
  void release_app(AppVersion* version);
  spdlog::logger& log() { return *log_; }
  WorkerStats& stats() { return stats_; }
  /// Responses close their connection (shutdown has begun).
  bool retiring() const { return retiring_; }

  Http1Session* new_session();
  /// Returns a closed session's memory to the pool; during a round of the poller (an event of
  /// the round may still name it), at the end of the round.
  void destroy(Http1Session* session);
  /// A session was accepted and starts being served.
  void on_open(Http1Session& session);
  /// A session closed (its memory may still be in use until destroy()).
  void on_closed(Http1Session& session, CloseReason reason);
  std::size_t open_connections() const { return open_; }
  /// This worker's keep-alive pools to the upstreams of proxy routes.
  UpstreamPools& upstreams() { return upstreams_; }
  /// At the connection limit: closes the longest-idle connection that has no request in
  /// progress, to admit a new one. False when every connection is busy.
  bool reclaim_idle_connection();

  /// Puts the session in the deadline list for `what`, with that list's timeout from now.
  void arm(Http1Session& session, Wait what) { list(what).arm(session, now()); }
  /// Moves an idle session from the hot idle list to the parked one, keeping its deadline.
  void park(Http1Session& session) { list(Wait::kParked).move_here(session); }

  /// Any thread: whether this worker's loop turned within max_age (its tick stamps a heartbeat).
  /// A worker that has finished counts as alive: it is done, not stalled.
  bool alive(Clock::duration max_age) const {
    auto beat = heartbeat_.load(std::memory_order_relaxed);
    return Clock::now().time_since_epoch().count() - beat <= (max_age + tick_interval_).count();
  }

  // Pending answers (Context::defer, Context::suspend). Tickets are (slot, generation): a slot is
  // reused, the generation is not, so a completion arriving after its request timed out finds
  // nothing. The table and its deadline heap keep their capacity: no allocation once warm.
  /// Worker thread: the exchange served by owner waits for its answer until timeout (none when
  /// timeout is Clock::duration::max()).
  std::pair<std::uint32_t, std::uint32_t> begin_pending(ExchangeOwner& owner, Clock::duration timeout);
  /// Worker thread: exchange's answer comes later (Context::defer and suspend, a proxied
  /// request): it is registered in the table until timeout (Clock::duration::max(): none) and
  /// marked pending. False when it cannot wait (not served by a session, or pending already).
  bool suspend(Exchange& exchange, Clock::duration timeout, std::uint32_t& generation);
  /// The deadline of a handler's later answer: its route's timeout, else timeouts.handler_ms.
  Clock::duration handler_timeout(const Exchange& exchange) const;
  /// Worker thread: the pending answer came (or its connection closed).
  void end_pending(std::uint32_t slot);
  /// Worker thread: the owner still waiting on this ticket, or null.
  ExchangeOwner* pending_owner(std::uint32_t slot, std::uint32_t generation) const;
  /// Any thread: runs fill on this worker for the deferred request, if it still waits.
  void post_resume(std::uint32_t slot, std::uint32_t generation, std::function<void(Context&)> fill);
  /// Any thread: the Deferred was dropped without an answer.
  void post_abandon(std::uint32_t slot, std::uint32_t generation);
  const std::shared_ptr<WorkerAnchor>& anchor() const { return anchor_; }
  OffloadPool* offload() const { return offload_; }
  void set_offload(OffloadPool* pool) { offload_ = pool; }

  /// Any thread (the exporter): the counters.
  const WorkerStats& published_stats() const { return stats_; }

 private:
  void schedule_tick();
  void on_tick();
  void release_idle_buffers(Clock::time_point now);
  void publish_pool_stats();
  void close_idle_connections();
  void close_everything();
  void expire_pending(Clock::time_point now);
  void maybe_finish();
  void destroy_closed();
  void free_session(Http1Session* session);
  DeadlineList<Http1Session>& list(Wait what) { return lists_[static_cast<std::size_t>(what)]; }

  const std::size_t index_;
  const ServerConfig& config_;
  const ParserLimits limits_;
  boost::asio::io_context io_;
  EventPoller poller_;
  std::vector<Http1Session*> closed_in_round_;  // freed at the end of the poller's round
  std::list<AppVersion> versions_;  // back() is current; older ones live while requests use them
  AppVersion* current_ = nullptr;
  std::shared_ptr<spdlog::logger> log_;

  SlabPool buffers_;
  Clock::time_point next_buffer_trim_{};
  RecyclingPool<Exchange> exchanges_;
  ResponseEncoding encoding_;  // before the sessions: their stream encoders come back to it
  UpstreamPools upstreams_{poller_, buffers_, index_};
  std::unique_ptr<ObjectPool<Http1Session>> sessions_pool_;
  IntrusiveList<Http1Session> sessions_;  // every open session, whatever it waits for
  std::vector<std::shared_ptr<ReuseportAcceptor>> acceptors_;
  std::vector<std::shared_ptr<ReuseportAcceptor>> retired_acceptors_;  // stopped by a reload

  DateCache date_;
  ResponseWriter writer_;
  std::array<DeadlineList<Http1Session>, static_cast<std::size_t>(Wait::kCount)> lists_;
  boost::asio::steady_timer tick_;
  Clock::duration tick_interval_;

  struct PendingSlot {
    ExchangeOwner* owner = nullptr;
    std::uint32_t generation = 0;
  };
  struct PendingDeadline {
    Clock::time_point when;
    std::uint32_t slot;
    std::uint32_t generation;
    bool operator>(const PendingDeadline& other) const { return when > other.when; }
  };
  std::vector<PendingSlot> pending_;
  std::vector<std::uint32_t> free_pending_;
  std::vector<PendingDeadline> pending_deadlines_;  // a min-heap on when
  OffloadPool* offload_ = nullptr;
  std::shared_ptr<WorkerAnchor> anchor_;

  WorkerStats stats_;
  std::atomic<Clock::rep> heartbeat_{Clock::now().time_since_epoch().count()};
  std::size_t open_ = 0;
  bool retiring_ = false;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace surge::detail
