#pragma once
// RecyclingPool: pooled objects that stay constructed between uses, so their buffers stay warm.

#include <cstddef>
#include <functional>
#include <vector>

#include "memory/poison.hpp"
#include "memory/slab_pool.hpp"

namespace surge::detail {

/// Like ObjectPool, but a released object is reset() and kept constructed for the next acquire():
/// the capacity its members grew to (buffers, tables) is reused instead of reallocated, which is
/// what makes steady-state serving allocation-free. Memory comes from a SlabPool, so capacity and
/// misses are reported the same way. Single-threaded (one per worker).
///
/// AddressSanitizer builds (memory/poison.hpp): a released object stays constructed but its bytes
/// are poisoned while it waits in the free list, and unpoisoned by acquire() (and before it is
/// destroyed), so a stale pointer to a released object is reported as use-after-poison. Only the
/// object's own bytes: heap memory its members own stays addressable. acquire() unpoisons the whole
/// object, which also lifts finer poisoning a member keeps (an Arena's unused inline bytes) until
/// that member sets it again.
template <class T>
class RecyclingPool final {
 public:
  /// make(memory) constructs a T in memory (placement new) and returns it.
  RecyclingPool(std::size_t capacity, std::function<T*(void*)> make)
      : slab_(sizeof(T), capacity), make_(std::move(make)) {
    free_.reserve(capacity);
  }
  ~RecyclingPool() {
    for (T* object : free_) {
      unpoison(object, slab_.block_size());
      destroy(object);
    }
  }
  RecyclingPool(const RecyclingPool&) = delete;
  RecyclingPool& operator=(const RecyclingPool&) = delete;

  T* acquire() {
    ++in_use_;
    if (!free_.empty()) {
      T* object = free_.back();
      free_.pop_back();
      unpoison(object, slab_.block_size());
      return object;
    }
    void* memory = slab_.allocate();
    try {
      return make_(memory);
    } catch (...) {
      slab_.deallocate(memory);
      --in_use_;
      throw;
    }
  }

  void release(T* object) noexcept {
    --in_use_;
    object->reset();
    if (slab_.owns(object) && free_.size() < free_.capacity()) {
      free_.push_back(object);
      // The whole slab block (owns() holds): the object and the padding after it.
      poison(object, slab_.block_size());
    } else {
      destroy(object);
    }
  }

  PoolStats stats() const {
    PoolStats s = slab_.stats();
    s.in_use = in_use_;
    return s;
  }

 private:
  void destroy(T* object) noexcept {
    object->~T();
    slab_.deallocate(object);
  }

  SlabPool slab_;
  std::function<T*(void*)> make_;
  std::vector<T*> free_;
  std::size_t in_use_ = 0;
};

}  // namespace surge::detail
