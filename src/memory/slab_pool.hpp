#pragma once
// SlabPool: fixed-size blocks for one worker, with a bounded capacity and a counted heap fallback.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace surge::detail {

/// What a pool reports to the metrics exporter. Plain values: read them on the owning worker
/// (the exporter reads a copy published by the worker, never the live pool).
struct PoolStats {
  std::size_t capacity = 0;  // blocks the pool can hand out before falling back to the heap
  std::size_t in_use = 0;    // blocks handed out now, pool and heap fallbacks together
  std::uint64_t misses = 0;  // allocations served by the heap because the pool was exhausted
};

/// Blocks of one size carved from one reserved address range (capacity x block size). Pages are
/// committed by the kernel only when first touched, so a large capacity costs address space, not
/// resident memory. Released blocks go to a LIFO free list, so the warmest block is reused first.
///
/// A pool of page-sized blocks (I/O buffers) can also give memory back: trim(), called now and
/// then (the worker's tick), returns the free blocks that stayed unused since the previous call
/// to the kernel (madvise(MADV_DONTNEED)), beyond `keep_warm` of them, and keeps them as address
/// space only. After a burst of connections that go idle, resident memory falls back to what the
/// connections in use need, while blocks in steady use are never trimmed; the next use of a
/// trimmed block costs one page fault.
///
/// Not thread-safe by design: a pool belongs to one worker, which is the only thread that
/// allocates from it and releases to it. allocate() never fails: when the pool is exhausted it
/// takes the block from the heap and counts a miss; deallocate() recognises such blocks by address.
///
/// AddressSanitizer builds (memory/poison.hpp): every block of the range is poisoned except while
/// it is handed out, from construction on (never-used, free and trimmed blocks alike, the free
/// list's link included), so touching a block after deallocate() is reported as use-after-poison
/// while it stays free; allocate() unpoisons the whole block. Unlike ASan's own heap there is no
/// quarantine: once the block is handed out again, a stale pointer into it is not reported. Heap
/// fallbacks are real heap allocations, which ASan checks on its own.
class SlabPool final {
 public:
  /// block_size is rounded up to 16 bytes. Throws std::bad_alloc if the range cannot be reserved.
  /// keep_warm: free blocks kept resident (0: all); used only when block_size is a multiple of
  /// the page size.
  SlabPool(std::size_t block_size, std::size_t capacity, std::size_t keep_warm = 0);
  ~SlabPool();
  SlabPool(const SlabPool&) = delete;
  SlabPool& operator=(const SlabPool&) = delete;

  void* allocate();
  void deallocate(void* block) noexcept;

  std::size_t block_size() const { return block_size_; }
  PoolStats stats() const { return {capacity_, in_use_, misses_}; }
  /// Gives back the free blocks unused since the last call, beyond keep_warm. Returns how many.
  std::size_t trim() noexcept;
  /// Free blocks whose memory went back to the kernel.
  std::size_t trimmed() const { return trimmed_.size(); }
  bool owns(const void* block) const {
    auto* p = static_cast<const std::byte*>(block);
    return p >= base_ && p < base_ + capacity_ * block_size_;
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  std::size_t block_size_;
  std::size_t capacity_;
  std::byte* base_ = nullptr;
  std::size_t never_used_ = 0;  // blocks [never_used_, capacity_) were never handed out
  FreeBlock* free_ = nullptr;   // resident free blocks, linked through their first bytes
  std::size_t free_count_ = 0;
  std::size_t min_free_ = 0;    // fewest resident free blocks since the last trim()
  std::size_t keep_warm_ = 0;   // 0: never trim
  std::vector<std::uint32_t> trimmed_;  // indices of free blocks given back to the kernel
  std::size_t in_use_ = 0;
  std::uint64_t misses_ = 0;
};

/// Typed front of a SlabPool: constructs T in a pooled block and destroys it on release. In
/// AddressSanitizer builds a destroyed object's block is poisoned (see SlabPool): a stale pointer
/// to it is reported for as long as the block stays free (the LIFO free list hands it out next).
template <class T>
class ObjectPool final {
 public:
  explicit ObjectPool(std::size_t capacity, std::size_t extra_bytes = 0)
      : slab_(sizeof(T) + extra_bytes, capacity) {}

  template <class... Args>
  T* create(Args&&... args) {
    void* block = slab_.allocate();
    try {
      return new (block) T(static_cast<Args&&>(args)...);
    } catch (...) {
      slab_.deallocate(block);
      throw;
    }
  }
  void destroy(T* object) noexcept {
    if (object == nullptr) return;
    object->~T();
    slab_.deallocate(object);
  }

  PoolStats stats() const { return slab_.stats(); }
  const SlabPool& slab() const { return slab_; }

 private:
  SlabPool slab_;
};

}  // namespace surge::detail
