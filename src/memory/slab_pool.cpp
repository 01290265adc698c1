#include "memory/slab_pool.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

constexpr std::size_t kAlignment = 16;

std::size_t round_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

SlabPool::SlabPool(std::size_t block_size, std::size_t capacity, std::size_t keep_warm)
    : block_size_(round_up(block_size < sizeof(FreeBlock) ? sizeof(FreeBlock) : block_size)),
      capacity_(capacity) {
  if (capacity_ == 0) return;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  if (keep_warm > 0 && block_size_ % page == 0) {
    keep_warm_ = keep_warm;
    // Reserved up front: deallocate() must not allocate.
    trimmed_.reserve(capacity_ > keep_warm_ ? capacity_ - keep_warm_ : 0);
  }
  // MAP_NORESERVE: the range is address space only; a block costs memory once it is touched.
  void* range = ::mmap(nullptr, capacity_ * block_size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (range == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(range);
  // Sanitizer builds: nothing in the range is addressable until allocate() hands it out, so an
  // overrun off the last block in use lands in poison too. (It costs shadow memory for the whole
  // range, an eighth of it, in those builds only.)
  poison(base_, capacity_ * block_size_);
}

SlabPool::~SlabPool() {
  if (base_ == nullptr) return;
  // The shadow outlives the mapping: left poisoned, it would report whatever mmap() puts there next.
  unpoison(base_, capacity_ * block_size_);
  ::munmap(base_, capacity_ * block_size_);
}

void* SlabPool::allocate() {
  ++in_use_;
  if (free_ != nullptr) {
    FreeBlock* block = free_;
    // The whole block, link included, was poisoned while it sat in the free list.
    unpoison(block, block_size_);
    free_ = block->next;
    --free_count_;
    if (free_count_ < min_free_) min_free_ = free_count_;
    return block;
  }
  if (!trimmed_.empty()) {
    const std::uint32_t index = trimmed_.back();
    trimmed_.pop_back();
    std::byte* block = base_ + block_size_ * index;
    unpoison(block, block_size_);
    return block;
  }
  if (never_used_ < capacity_) {
    std::byte* block = base_ + block_size_ * never_used_++;
    unpoison(block, block_size_);
    return block;
  }
  ++misses_;
  return ::operator new(block_size_, std::align_val_t{kAlignment});
}

void SlabPool::deallocate(void* block) noexcept {
  --in_use_;
  if (owns(block)) {
    ++free_count_;
    auto* free_block = static_cast<FreeBlock*>(block);
    free_block->next = free_;
    free_ = free_block;
    // The link too: a stale write through the old owner's pointer must not corrupt the free
    // list unnoticed. allocate() and trim() unpoison the link for the moment they read it.
    poison(block, block_size_);
    return;
  }
  ::operator delete(block, std::align_val_t{kAlignment});
}

// The blocks counted by min_free_ stayed free the whole time since the last trim: those are the
// idle ones (which of the free blocks they are does not matter, only how many).
std::size_t SlabPool::trim() noexcept {
  std::size_t excess = keep_warm_ != 0 && min_free_ > keep_warm_ ? min_free_ - keep_warm_ : 0;
  std::size_t done = 0;
  for (; done < excess && free_ != nullptr; ++done) {
    FreeBlock* block = free_;
    unpoison(&block->next, sizeof block->next);
    FreeBlock* next = block->next;
    // A trimmed block is still free: poisoned, its link with it, until allocate() hands it out.
    poison(&block->next, sizeof block->next);
    if (::madvise(block, block_size_, MADV_DONTNEED) != 0) break;
    free_ = next;
    --free_count_;
    trimmed_.push_back(static_cast<std::uint32_t>((reinterpret_cast<std::byte*>(block) - base_) / block_size_));
  }
  min_free_ = free_count_;
  return done;
}

}  // namespace surge::detail
