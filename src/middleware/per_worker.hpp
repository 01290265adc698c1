#pragma once
// PerWorker: one slot of middleware state per worker thread, indexed by ctx.worker().

#include <cstddef>
#include <memory>

namespace surge::detail {

/// A fixed array of T, one per worker, each on its own cache lines when T is alignas(64). Sized
/// once before serving (Middleware::attach) and then only indexed: worker i writes slot i alone,
/// other threads (the metrics exporter) may read. Until reset() is called it holds one slot, so a
/// middleware driven by a unit test without attach() works; an index past the end is clamped to
/// the last slot (only reachable when attach() was skipped or given too few workers).
template <class T>
class PerWorker final {
 public:
  PerWorker() { reset(1); }

  /// Replaces every slot with a value-initialised one (0 counts as 1). Not concurrent with use.
  void reset(std::size_t workers) {
    size_ = workers == 0 ? 1 : workers;
    slots_ = std::make_unique<T[]>(size_);
  }

  T& operator[](std::size_t worker) { return slots_[worker < size_ ? worker : size_ - 1]; }
  const T& operator[](std::size_t worker) const {
    return slots_[worker < size_ ? worker : size_ - 1];
  }
  std::size_t size() const { return size_; }

  const T* begin() const { return slots_.get(); }
  const T* end() const { return slots_.get() + size_; }
  T* begin() { return slots_.get(); }
  T* end() { return slots_.get() + size_; }

 private:
  std::unique_ptr<T[]> slots_;
  std::size_t size_ = 0;
};

}  // namespace surge::detail
