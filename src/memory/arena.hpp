#pragma once
// Arena: per-request scratch memory, released all at once.

#include <cstddef>
#include <memory>
#include <vector>

namespace surge::detail {

/// Bump allocation from an inline block; beyond it, from heap chunks (counted) that are freed at
/// reset(). Pointers stay valid until reset(): allocation never moves earlier memory. One per
/// pooled exchange, so typical requests (decoded parameters, a request id) never touch the heap.
///
/// AddressSanitizer builds (memory/poison.hpp): the inline block is poisoned except for what
/// allocate() handed out since the last reset(), so a view kept past reset() is reported as
/// use-after-poison (heap chunks are freed by reset(), which ASan sees on its own).
class Arena final {
 public:
  static constexpr std::size_t kInlineBytes = 512;
  static constexpr std::size_t kAlignment = alignof(std::max_align_t);

  Arena();
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  void* allocate(std::size_t bytes);
  void reset();
  /// Heap chunks taken since construction (a pool-miss style counter for the metrics).
  std::size_t heap_chunks() const { return heap_chunks_; }

 private:
  alignas(kAlignment) std::byte inline_[kInlineBytes];
  std::size_t used_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::size_t chunk_used_ = 0;
  std::size_t chunk_size_ = 0;
  std::size_t heap_chunks_ = 0;
};

}  // namespace surge::detail
