#pragma once
// HandlerSlot: storage inside an object for its one pending Asio operation.

#include <cstddef>
#include <new>

namespace surge::detail {

/// Asio allocates each pending operation (handler, bookkeeping) through the handler's associated
/// allocator. An object with at most one operation pending at a time (the EventPoller's resume
/// post) keeps the memory in itself: no malloc per operation. A request that does not fit (or a
/// second concurrent one) falls back to the heap, where the allocation-counting tests see it.
class HandlerSlot final {
 public:
  static constexpr std::size_t kSize = 160;

  void* allocate(std::size_t size) {
    if (!in_use_ && size <= kSize) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(size);
  }
  void deallocate(void* p) noexcept {
    if (p == storage_) {
      in_use_ = false;
      return;
    }
    ::operator delete(p);
  }

 private:
  alignas(std::max_align_t) std::byte storage_[kSize];
  bool in_use_ = false;
};

template <class T>
class SlotAllocator {
 public:
  using value_type = T;
  explicit SlotAllocator(HandlerSlot& slot) noexcept : slot_(&slot) {}
  template <class U>
  SlotAllocator(const SlotAllocator<U>& other) noexcept : slot_(other.slot_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(slot_->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { slot_->deallocate(p); }

  template <class U>
  bool operator==(const SlotAllocator<U>& other) const noexcept {
    return slot_ == other.slot_;
  }

 private:
  template <class>
  friend class SlotAllocator;
  HandlerSlot* slot_;
};

}  // namespace surge::detail
