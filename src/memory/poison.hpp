#pragma once
// Manual AddressSanitizer poisoning for memory that the pools keep instead of freeing.

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define SURGE_DETAIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SURGE_DETAIL_ASAN 1
#endif
#endif

#if defined(SURGE_DETAIL_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace surge::detail {

/// True in AddressSanitizer builds: released pool memory is poisoned, so a read or write through
/// a stale pointer is reported ("use-after-poison") instead of silently landing in a block that
/// the pool has handed to someone else. In other builds poison() and unpoison() compile to nothing.
#if defined(SURGE_DETAIL_ASAN)
inline constexpr bool kPoisonsReleasedMemory = true;
#else
inline constexpr bool kPoisonsReleasedMemory = false;
#endif

/// Marks [memory, memory + bytes) unaddressable. ASan tracks 8-byte granules and can only poison
/// the tail of a granule, so memory should be 8-byte aligned and bytes a multiple of 8 (every
/// caller passes 16-byte aligned blocks); a partial last granule stays addressable.
inline void poison(const void* memory, std::size_t bytes) noexcept {
#if defined(SURGE_DETAIL_ASAN)
  ASAN_POISON_MEMORY_REGION(memory, bytes);
#else
  (void)memory;
  (void)bytes;
#endif
}

/// Marks [memory, memory + bytes) addressable again.
inline void unpoison(const void* memory, std::size_t bytes) noexcept {
#if defined(SURGE_DETAIL_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(memory, bytes);
#else
  (void)memory;
  (void)bytes;
#endif
}

}  // namespace surge::detail
