#include "upstream/resolver.hpp"

#include <algorithm>

namespace surge::detail {

Resolver::Resolver() : thread_([this] { run(); }) {}

Resolver::~Resolver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Resolver::add(const std::shared_ptr<Cluster>& cluster) {
  const auto every = cluster->config().resolve_every;
  if (every.count() == 0) return;
  {
    std::lock_guard lock(mutex_);
    entries_.push_back({cluster, Clock::now() + every});
  }
  wake_.notify_all();
}

std::uint64_t Resolver::rounds() const {
  std::lock_guard lock(mutex_);
  return rounds_;
}

void Resolver::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::erase_if(entries_, [](const Entry& e) { return e.cluster.expired(); });
    Clock::time_point next = Clock::time_point::max();
    for (const Entry& e : entries_) next = std::min(next, e.next);
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
      continue;
    }
    if (wake_.wait_until(lock, next, [this] { return stopping_; })) break;
    const Clock::time_point now = Clock::now();
    std::vector<std::shared_ptr<Cluster>> due;
    for (Entry& e : entries_) {
      if (e.next > now) continue;
      if (std::shared_ptr<Cluster> cluster = e.cluster.lock()) {
        e.next = now + cluster->config().resolve_every;
        due.push_back(std::move(cluster));
      }
    }
    lock.unlock();
    // getaddrinfo blocks: never under the lock, never on a worker.
    for (const std::shared_ptr<Cluster>& cluster : due) cluster->resolve_again();
    lock.lock();
    ++rounds_;
  }
}

}  // namespace surge::detail
