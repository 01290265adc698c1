#pragma once
// Resolver: re-resolves the names of the upstreams' servers periodically, on its own thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "net/deadline_list.hpp"  // Clock
#include "upstream/cluster.hpp"

namespace surge::detail {

/// Kubernetes headless services and DNS-balanced pools change their addresses while surged runs:
/// every cluster added here resolves its server names again each `resolve_every` (0: never), on
/// this thread, so no worker ever blocks on DNS. A worker reads the new addresses when it opens
/// its next connection; pooled connections to an address that went away close by their idle
/// timeout or lifetime. A cluster is held weakly: one a reload replaced drops out by itself.
class Resolver final {
 public:
  Resolver();
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  /// Any thread: re-resolves cluster's names from now on, the first time after resolve_every.
  void add(const std::shared_ptr<Cluster>& cluster);
  /// Rounds done so far (for tests).
  std::uint64_t rounds() const;

 private:
  struct Entry {
    std::weak_ptr<Cluster> cluster;
    Clock::time_point next;
  };
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;
  std::uint64_t rounds_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace surge::detail
