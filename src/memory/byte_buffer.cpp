#include "memory/byte_buffer.hpp"

#include <new>

namespace surge::detail {

void ByteBuffer::erase_front(std::size_t n) {
  if (n >= size_) {
    size_ = 0;
    return;
  }
  std::memmove(data_, data_ + n, size_ - n);
  size_ -= n;
}

void ByteBuffer::release() {
  if (data_ == nullptr) return;
  if (pooled_) {
    pool_->deallocate(data_);
  } else {
    ::operator delete(data_);
  }
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
  pooled_ = false;
}

void ByteBuffer::grow(std::size_t needed) {
  if (data_ == nullptr && pool_ != nullptr && needed <= pool_->block_size()) {
    data_ = static_cast<char*>(pool_->allocate());
    capacity_ = pool_->block_size();
    pooled_ = true;
    return;
  }
  std::size_t capacity = capacity_ < 1024 ? 1024 : capacity_;
  while (capacity < needed) capacity *= 2;
  auto* bigger = static_cast<char*>(::operator new(capacity));
  if (size_ != 0) std::memcpy(bigger, data_, size_);
  std::size_t size = size_;
  release();
  data_ = bigger;
  size_ = size;
  capacity_ = capacity;
  pooled_ = false;
}

}  // namespace surge::detail
