#pragma once
// ByteBuffer: a contiguous, growable byte buffer whose first block comes from a worker's pool.

#include <cstddef>
#include <cstring>
#include <string_view>

#include "memory/slab_pool.hpp"

namespace surge::detail {

/// Holds [data(), data() + size()). Storage is taken lazily: a block from the pool while the
/// contents fit one block, the heap beyond that (a large request or response). Growing may move
/// the storage, so callers keep offsets, not pointers, across prepare() calls.
/// Single-threaded, like the pool it draws from.
class ByteBuffer final {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(SlabPool* pool) : pool_(pool) {}
  ~ByteBuffer() { release(); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  char* data() { return data_; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  bool has_storage() const { return data_ != nullptr; }
  std::string_view view() const { return {data_, size_}; }

  /// Room for at least n more bytes after size(); returns where they go. May move the storage.
  char* prepare(std::size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    return data_ + size_;
  }
  /// Room for as many bytes as fit without growing, at least min_free (which may grow).
  std::size_t writable(std::size_t min_free) {
    prepare(min_free);
    return capacity_ - size_;
  }
  void commit(std::size_t n) { size_ += n; }
  void append(std::string_view bytes) {
    if (bytes.empty()) return;
    std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void clear() { size_ = 0; }
  void resize_down(std::size_t n) { size_ = n < size_ ? n : size_; }
  /// Drops the first n bytes, moving the rest to the front.
  void erase_front(std::size_t n);
  /// Gives the storage back (to the pool or the heap). The buffer stays usable.
  void release();
  /// Releases the storage if it came from the heap, so a one-off large message does not stay
  /// attached to a long-lived connection.
  void release_if_large() {
    if (data_ != nullptr && !pooled_) release();
  }

 private:
  void grow(std::size_t needed);

  SlabPool* pool_ = nullptr;
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  bool pooled_ = false;
};

}  // namespace surge::detail
