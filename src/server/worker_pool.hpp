#pragma once
// WorkerPool: the workers, their threads, and the shutdown timeline.

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <surge/config.hpp>

namespace spdlog {
class logger;
}

namespace surge::detail {

class Application;
class OffloadPool;
class ReuseportAcceptor;
class RequestObserver;
class Worker;

/// Creates one Worker per thread, binds every listen address in every worker (the first worker
/// resolves an ephemeral port, the others bind the same one), and runs a small control thread
/// that owns the shutdown timers, so no worker has to outlive the others to fire them.
class WorkerPool final {
 public:
  /// A null log logs to stderr.
  WorkerPool(ServerConfig config, std::shared_ptr<const Application> app,
             std::shared_ptr<spdlog::logger> log,
             std::vector<std::shared_ptr<RequestObserver>> observers = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  void wait();
  void shutdown();
  void stop();
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  const ServerConfig& config() const { return config_; }
  std::size_t size() const { return workers_.size(); }
  bool all_alive(std::chrono::milliseconds max_age) const;
  std::size_t offload_queue_depth() const;
  /// The current application (the last one swapped in).
  std::shared_ptr<const Application> app() const;

  /// Reload: new requests use app and observers; requests in progress finish with the ones they
  /// started with. Any thread.
  void swap_app(std::shared_ptr<const Application> app,
                std::vector<std::shared_ptr<RequestObserver>> observers);
  /// Reload: listens on every address of `listen` not yet listened on (in every worker) before
  /// it stops listening on the addresses no longer in it, so no connection is refused in
  /// between. Throws like start() if an address cannot be bound; then nothing changed.
  void update_listeners(const std::vector<std::string>& listen);
  Worker& worker(std::size_t i) { return *workers_[i]; }

 private:
  void bind_all();
  /// Binds endpoint in every worker; returns the acceptors and the resolved endpoint.
  std::vector<std::shared_ptr<ReuseportAcceptor>> bind_everywhere(boost::asio::ip::tcp::endpoint& endpoint);
  void run_worker(std::size_t index, int cpu);
  void schedule_control_tick();

  ServerConfig config_;
  std::shared_ptr<const Application> app_;
  std::shared_ptr<spdlog::logger> log_;
  std::vector<std::shared_ptr<RequestObserver>> observers_;
  std::unique_ptr<OffloadPool> offload_;  // destroyed after the workers (declared before them)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;  // guarded by mutex_ after start()
  mutable std::mutex mutex_;  // app_, endpoints_: the control, reload and exporter threads

  boost::asio::io_context control_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> control_work_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer shutdown_timer_;
  boost::asio::steady_timer control_tick_;
  bool control_stopping_ = false;  // control thread only
  std::thread control_thread_;

  std::atomic<bool> draining_{false};
  std::mutex wait_mutex_;
  bool started_ = false;
  bool joined_ = false;
};

/// CPUs this process may run on (sched_getaffinity), in increasing order.
std::vector<int> allowed_cpus();

/// The number of workers a configuration gives (threads, or one per allowed CPU).
std::size_t worker_count(const ServerConfig& config);

}  // namespace surge::detail
