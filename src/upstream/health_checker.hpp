#pragma once
// HealthChecker: active health checks of the upstreams' hosts, on its own thread, off the workers.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "upstream/cluster.hpp"

namespace spdlog {
class logger;
}

namespace surge::detail {

/// Asks every host of the clusters added here, each on its own schedule, whether it is well (an
/// HTTP GET of health_check.path, or a TCP connect), and takes a host out of the rotation after
/// unhealthy_threshold failures in a row, back after healthy_threshold passes in a row, through
/// HostHealth::set_active. Hosts start up: a start or reload never takes an upstream out before
/// its first checks. Every check is counted with HostHealth::count_check.
///
/// One thread for all clusters; the checks run concurrently on non-blocking sockets (one poll(2)
/// set, woken by the earliest deadline), so a host that times out delays no other. At most one
/// check per host is in flight. The addresses are the ones already resolved (the Resolver's
/// business): this thread never waits on DNS. The first check of a host comes within
/// health_check.jitter of add(), the next ones interval + up to jitter after the last one ends, so
/// many surged processes do not check in step.
///
/// A cluster is held weakly: one a reload replaced stops being checked (its checks in flight are
/// dropped) once no one else holds it. Only clusters with health_check.enabled are checked.
class HealthChecker final {
 public:
  /// Logs a warning when a host goes down and an info line when it comes back. Throws
  /// std::system_error when the thread's wake-up descriptor cannot be created.
  explicit HealthChecker(std::shared_ptr<spdlog::logger> log);
  /// Stops at once (the thread is woken; no interval or timeout is waited out) and closes every
  /// socket.
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Any thread: checks cluster's hosts from now on (nothing when its health check is off).
  void add(const std::shared_ptr<Cluster>& cluster);
  /// Checks finished so far, all clusters together (for tests). A host's verdict after its n-th
  /// check is visible once this counted that check.
  std::uint64_t checks_done() const { return checks_done_.load(std::memory_order_acquire); }

 private:
  void run();
  void wake();

  std::shared_ptr<spdlog::logger> log_;
  // An eventfd in the thread's poll set, written by add() and the destructor: the thread waits in
  // poll(2) on its sockets, where a condition variable (the Resolver's way) could not wake it.
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::vector<std::weak_ptr<Cluster>> added_;  // by add(), for the thread to take
  bool stopping_ = false;
  std::atomic<std::uint64_t> checks_done_{0};
  std::thread thread_;
};

}  // namespace surge::detail
