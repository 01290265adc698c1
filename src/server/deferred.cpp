// Context::defer / offload and Deferred: asynchronous answers, bound to the request's worker.
#include <surge/context.hpp>

#include "http/exchange.hpp"
#include "server/offload_pool.hpp"
#include "server/worker.hpp"

namespace surge {

Deferred::Deferred(Deferred&& other) noexcept
    : anchor_(std::move(other.anchor_)), slot_(other.slot_), generation_(other.generation_) {}

Deferred& Deferred::operator=(Deferred&& other) noexcept {
  if (this != &other) {
    abandon();
    anchor_ = std::move(other.anchor_);
    slot_ = other.slot_;
    generation_ = other.generation_;
  }
  return *this;
}

Deferred::~Deferred() { abandon(); }

void Deferred::abandon() {
  if (anchor_ == nullptr) return;
  std::shared_ptr<detail::WorkerAnchor> anchor = std::move(anchor_);
  std::lock_guard lock(anchor->mutex);
  if (anchor->worker != nullptr) anchor->worker->post_abandon(slot_, generation_);
}

bool Deferred::resume(std::function<void(Context&)> fill) {
  if (anchor_ == nullptr || !fill) return false;
  std::shared_ptr<detail::WorkerAnchor> anchor = std::move(anchor_);
  std::lock_guard lock(anchor->mutex);
  if (anchor->worker != nullptr) anchor->worker->post_resume(slot_, generation_, std::move(fill));
  return true;
}

Deferred Context::defer() {
  detail::Exchange& exchange = detail::exchange_of(*this);
  detail::Worker* worker = exchange.worker();
  std::uint32_t generation = 0;
  if (worker == nullptr || !worker->suspend(exchange, worker->handler_timeout(exchange), generation)) return {};
  return Deferred(worker->anchor(), exchange.async().slot, generation);
}

bool Context::offload(std::function<void()> work, std::function<void(Context&)> done) {
  detail::Exchange& exchange = detail::exchange_of(*this);
  detail::OffloadPool* pool = exchange.worker() != nullptr ? exchange.worker()->offload() : nullptr;
  if (pool == nullptr || !pool->try_reserve()) {
    text(503, "server busy: the offload queue is full (offload.queue)\n");
    response().add_header("Retry-After", "1");
    return false;
  }
  // std::function needs a copyable target and a Deferred is move-only: the job owns its state.
  struct Job {
    std::function<void()> work;
    std::function<void(Context&)> done;
    Deferred deferred;
  };
  auto job = std::make_shared<Job>(Job{std::move(work), std::move(done), defer()});
  pool->submit_reserved([job] {
    std::string failure;
    try {
      job->work();
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "non-standard exception";
    }
    if (failure.empty()) {
      job->deferred.resume(std::move(job->done));
    } else {
      // Rethrown on the worker, where the engine logs it and answers 500.
      job->deferred.resume([failure](Context&) {
        throw std::runtime_error("offloaded work failed: " + failure);
      });
    }
  });
  return true;
}

}  // namespace surge
