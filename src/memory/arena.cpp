#include "memory/arena.hpp"

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

constexpr std::size_t round_up(std::size_t n) {
  return (n + Arena::kAlignment - 1) / Arena::kAlignment * Arena::kAlignment;
}

constexpr std::size_t kChunkBytes = 4096;

}  // namespace

Arena::Arena() { poison(inline_, kInlineBytes); }

// Whatever holds the arena (a pooled exchange, a stack frame) may reuse these bytes next: they
// must not stay poisoned.
Arena::~Arena() { unpoison(inline_, kInlineBytes); }

void* Arena::allocate(std::size_t bytes) {
  bytes = round_up(bytes == 0 ? 1 : bytes);
  if (chunks_.empty() && kInlineBytes - used_ >= bytes) {
    void* p = inline_ + used_;
    unpoison(p, bytes);
    used_ += bytes;
    return p;
  }
  if (chunks_.empty() || chunk_size_ - chunk_used_ < bytes) {
    chunk_size_ = bytes > kChunkBytes ? bytes : kChunkBytes;
    chunks_.push_back(std::make_unique<std::byte[]>(chunk_size_));
    chunk_used_ = 0;
    ++heap_chunks_;
  }
  void* p = chunks_.back().get() + chunk_used_;
  chunk_used_ += bytes;
  return p;
}

void Arena::reset() {
  poison(inline_, kInlineBytes);
  used_ = 0;
  chunks_.clear();
  chunk_used_ = 0;
  chunk_size_ = 0;
}

}  // namespace surge::detail
