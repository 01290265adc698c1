#include "server/worker_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "http/application.hpp"
#include "net/listen_address.hpp"
#include "server/offload_pool.hpp"
#include "server/reuseport_acceptor.hpp"
#include "server/worker.hpp"

namespace surge::detail {
namespace {

std::shared_ptr<spdlog::logger> or_stderr(std::shared_ptr<spdlog::logger> log) {
  if (log) return log;
  return std::make_shared<spdlog::logger>("surge",
                                          std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
}

}  // namespace

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
      if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
    }
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

std::size_t worker_count(const ServerConfig& config) {
  return config.threads != 0 ? config.threads : allowed_cpus().size();
}

WorkerPool::WorkerPool(ServerConfig config, std::shared_ptr<const Application> app,
                       std::shared_ptr<spdlog::logger> log,
                       std::vector<std::shared_ptr<RequestObserver>> observers)
    : config_(std::move(config)),
      app_(std::move(app)),
      log_(or_stderr(std::move(log))),
      observers_(std::move(observers)),
      control_work_(control_.get_executor()),
      drain_timer_(control_),
      shutdown_timer_(control_),
      control_tick_(control_) {
  const std::size_t threads = worker_count(config_);
  app_->attach(threads);
  offload_ = std::make_unique<OffloadPool>(config_.offload.threads, config_.offload.queue);
  for (std::size_t i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, config_, app_, observers_, log_));
    workers_.back()->set_offload(offload_.get());
  }
}

WorkerPool::~WorkerPool() {
  if (started_) {
    stop();
    wait();
  }
  // Offloaded jobs still queued or running would resume into the workers: stop them first. The
  // Deferreds they drop post to the (still alive) workers, whose destructors drain those posts.
  offload_->stop();
  workers_.clear();
}

namespace {

boost::asio::ip::tcp::endpoint to_endpoint(const std::string& text) {
  std::string error;
  auto address = parse_listen_address(text, error);
  if (!address) throw std::invalid_argument("invalid listen address \"" + text + "\": " + error);
  return {boost::asio::ip::make_address(address->ip), address->port};
}

}  // namespace

std::vector<std::shared_ptr<ReuseportAcceptor>> WorkerPool::bind_everywhere(
    boost::asio::ip::tcp::endpoint& endpoint) {
  ReuseportAcceptor::check_not_in_use(endpoint);
  std::vector<std::shared_ptr<ReuseportAcceptor>> acceptors;
  for (auto& worker : workers_) {
    acceptors.push_back(std::make_shared<ReuseportAcceptor>(*worker, endpoint, config_.backlog));
    // Port 0: the first worker's bind picks the port, every other worker joins it.
    endpoint = acceptors.back()->local_endpoint();
  }
  return acceptors;
}

void WorkerPool::bind_all() {
  if (!config_.inherited_listeners.empty()) {
    for (int fd : config_.inherited_listeners) {
      for (auto& worker : workers_) worker->add_acceptor(std::make_shared<ReuseportAcceptor>(*worker, fd));
      endpoints_.push_back(workers_.front()->acceptors().back()->local_endpoint());
    }
    return;
  }
  for (const std::string& text : config_.listen) {
    boost::asio::ip::tcp::endpoint endpoint = to_endpoint(text);
    auto acceptors = bind_everywhere(endpoint);
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->add_acceptor(acceptors[i]);
    endpoints_.push_back(endpoint);
  }
}

void WorkerPool::update_listeners(const std::vector<std::string>& listen) {
  if (!config_.inherited_listeners.empty()) {
    // The service manager owns the listening sockets: their addresses change with its unit.
    log_->warn("reload: listening on inherited sockets; the \"listen\" setting does not apply");
    return;
  }
  std::vector<boost::asio::ip::tcp::endpoint> wanted;
  for (const std::string& text : listen) wanted.push_back(to_endpoint(text));
  const std::vector<boost::asio::ip::tcp::endpoint> current = local_endpoints();
  auto listening = [&](const boost::asio::ip::tcp::endpoint& e) {
    for (const auto& c : current) {
      // A configured port 0 matches any port already bound on that address.
      if (c.address() == e.address() && (e.port() == 0 || c.port() == e.port())) return true;
    }
    return false;
  };
  // Bind everything new first (all or nothing), then start it, then stop what went away.
  std::vector<std::pair<boost::asio::ip::tcp::endpoint, std::vector<std::shared_ptr<ReuseportAcceptor>>>> added;
  for (auto endpoint : wanted) {
    if (listening(endpoint)) continue;
    auto acceptors = bind_everywhere(endpoint);
    added.emplace_back(endpoint, std::move(acceptors));
  }
  std::vector<boost::asio::ip::tcp::endpoint> kept;
  for (const auto& c : current) {
    bool still = false;
    for (const auto& e : wanted) still = still || (c.address() == e.address() && (e.port() == 0 || c.port() == e.port()));
    if (still) kept.push_back(c);
  }
  for (auto& [endpoint, acceptors] : added) {
    for (std::size_t i = 0; i < workers_.size(); ++i) workers_[i]->post_add_acceptor(acceptors[i]);
    kept.push_back(endpoint);
    log_->info("now listening on {}:{}", endpoint.address().to_string(), endpoint.port());
  }
  for (const auto& c : current) {
    if (std::find(kept.begin(), kept.end(), c) != kept.end()) continue;
    for (auto& worker : workers_) worker->post_remove_acceptor(c);
    log_->info("no longer listening on {}:{}", c.address().to_string(), c.port());
  }
  std::lock_guard lock(mutex_);
  endpoints_ = std::move(kept);
}

std::vector<boost::asio::ip::tcp::endpoint> WorkerPool::local_endpoints() const {
  std::lock_guard lock(mutex_);
  return endpoints_;
}

std::shared_ptr<const Application> WorkerPool::app() const {
  std::lock_guard lock(mutex_);
  return app_;
}

void WorkerPool::swap_app(std::shared_ptr<const Application> app,
                          std::vector<std::shared_ptr<RequestObserver>> observers) {
  app->attach(workers_.size());
  for (auto& worker : workers_) worker->post_swap_app(app, observers);
  std::lock_guard lock(mutex_);
  app_ = std::move(app);
}

void WorkerPool::start() {
  bind_all();
  started_ = true;
  schedule_control_tick();
  control_thread_ = std::thread([this] {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    pthread_setname_np(pthread_self(), "surge-control");
    control_.run();
  });
  const std::vector<int> cpus = allowed_cpus();
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    int cpu = config_.pin_workers ? cpus[i % cpus.size()] : -1;
    threads_.emplace_back([this, i, cpu] { run_worker(i, cpu); });
  }
}

void WorkerPool::run_worker(std::size_t index, int cpu) {
  // Signals belong to the thread that waits for them (the daemon's main thread), never a worker.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
      log_->warn("worker {}: cannot pin to CPU {}", index, cpu);
    }
  }
  // Named once set up, so a thread called surge-w<i> is already where it will run.
  std::string name = "surge-w" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  workers_[index]->run();
}

void WorkerPool::schedule_control_tick() {
  // State the workers share and one thread must fold (circuit breakers) is ticked here, off the
  // workers' threads.
  control_tick_.expires_after(std::chrono::milliseconds(100));
  control_tick_.async_wait([this](const boost::system::error_code& ec) {
    // cancel() cannot stop a tick whose handler was already queued: the flag does.
    if (ec || control_stopping_) return;
    app()->control_tick(std::chrono::steady_clock::now());
    schedule_control_tick();
  });
}

void WorkerPool::wait() {
  std::lock_guard lock(wait_mutex_);
  if (joined_ || !started_) return;
  for (auto& thread : threads_) thread.join();
  boost::asio::post(control_, [this] {
    control_stopping_ = true;
    drain_timer_.cancel();
    shutdown_timer_.cancel();
    control_tick_.cancel();
    control_work_.reset();
  });
  control_thread_.join();
  joined_ = true;
}

void WorkerPool::shutdown() {
  if (draining_.exchange(true)) return;
  for (auto& worker : workers_) worker->post_retire_connections();
  boost::asio::post(control_, [this] {
    log_->info("shutting down: readiness fails now, responses close their connections, "
               "listeners close in {} ms",
               config_.shutdown.drain_delay.count());
    drain_timer_.expires_after(config_.shutdown.drain_delay);
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || control_stopping_) return;
      log_->info("draining: listeners closed, waiting up to {} ms for requests in progress",
                 config_.shutdown.timeout.count());
      for (auto& worker : workers_) worker->post_stop_accepting();
      shutdown_timer_.expires_after(config_.shutdown.timeout);
      shutdown_timer_.async_wait([this](const boost::system::error_code& e) {
        if (e || control_stopping_) return;
        for (auto& worker : workers_) worker->post_force_close();
      });
    });
  });
}

std::size_t WorkerPool::offload_queue_depth() const { return offload_->queued(); }

bool WorkerPool::all_alive(std::chrono::milliseconds max_age) const {
  for (const auto& worker : workers_) {
    if (!worker->alive(max_age)) return false;
  }
  return true;
}

void WorkerPool::stop() {
  draining_.store(true);
  for (auto& worker : workers_) worker->post_force_close();
}

}  // namespace surge::detail
