#pragma once
// BuiltinApp: the daemon's fixed endpoints, answered from prebuilt bytes.

#include <atomic>
#include <memory>

#include "server/application.hpp"

namespace surge::detail {

/// Whether the process wants traffic: true while serving, false from the first shutdown signal
/// on (what /readyz reports, so a load balancer stops sending before listeners close).
class Readiness final {
 public:
  bool ready() const { return ready_.load(std::memory_order_relaxed); }
  void set_draining() { ready_.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> ready_{true};
};

/// GET/HEAD /plaintext, /json, /healthz (liveness: 200 while the process serves) and /readyz
/// (200 while ready, 503 once draining); 404 otherwise, 405 with Allow for other methods.
std::shared_ptr<const Application> make_builtin_app(std::shared_ptr<const Readiness> readiness);

}  // namespace surge::detail
