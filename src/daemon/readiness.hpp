#pragma once
// Readiness: whether the process wants traffic (what /readyz says).

#include <atomic>

namespace surge::detail {

/// True while serving, false from the first shutdown signal on, so a load balancer stops sending
/// before listeners close. Written by the signal-handling thread, read by /readyz requests.
class Readiness final {
 public:
  bool ready() const { return ready_.load(std::memory_order_relaxed); }
  void set_draining() { ready_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> ready_{true};
};

}  // namespace surge::detail
