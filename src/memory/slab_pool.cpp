#include "memory/slab_pool.hpp"

#include <sys/mman.h>

#include <new>

namespace surge::detail {
namespace {

constexpr std::size_t kAlignment = 16;

std::size_t round_up(std::size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

SlabPool::SlabPool(std::size_t block_size, std::size_t capacity)
    : block_size_(round_up(block_size < sizeof(FreeBlock) ? sizeof(FreeBlock) : block_size)),
      capacity_(capacity) {
  if (capacity_ == 0) return;
  // MAP_NORESERVE: the range is address space only; a block costs memory once it is touched.
  void* range = ::mmap(nullptr, capacity_ * block_size_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (range == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(range);
}

SlabPool::~SlabPool() {
  if (base_ != nullptr) ::munmap(base_, capacity_ * block_size_);
}

void* SlabPool::allocate() {
  ++in_use_;
  if (free_ != nullptr) {
    FreeBlock* block = free_;
    free_ = block->next;
    return block;
  }
  if (never_used_ < capacity_) return base_ + block_size_ * never_used_++;
  ++misses_;
  return ::operator new(block_size_, std::align_val_t{kAlignment});
}

void SlabPool::deallocate(void* block) noexcept {
  --in_use_;
  if (owns(block)) {
    auto* free_block = static_cast<FreeBlock*>(block);
    free_block->next = free_;
    free_ = free_block;
    return;
  }
  ::operator delete(block, std::align_val_t{kAlignment});
}

}  // namespace surge::detail
