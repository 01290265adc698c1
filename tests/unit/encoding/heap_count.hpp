#pragma once
// Counts heap allocations of every kind, the compression libraries' malloc() included, so a test
// can show that a warm encoder does not allocate.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "support/allocation_counter.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SURGE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SURGE_TEST_ASAN 1
#endif
#endif

#ifdef SURGE_TEST_ASAN
// The sanitizer runtime calls these hooks on every malloc of the process, whichever library
// makes it (GCC ships the runtime without <sanitizer/allocator_interface.h>, hence the
// declaration).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#endif

namespace surge::test {

#ifdef SURGE_TEST_ASAN
inline constexpr bool kSeesLibraryMallocs = true;

inline std::atomic<std::uint64_t> g_heap_allocations{0};

inline void count_malloc(const volatile void*, std::size_t) {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
}
inline void ignore_free(const volatile void*) {}

/// Allocations so far: every malloc (operator new, libdeflate, zlib, zstd, brotli).
inline std::uint64_t heap_allocations() {
  static const int installed = __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
  (void)installed;
  return g_heap_allocations.load();
}
#else
// Without the sanitizer only operator new is seen: the libraries' own malloc() calls are not.
inline constexpr bool kSeesLibraryMallocs = false;

inline std::uint64_t heap_allocations() {
  return allocation_count();
}
#endif

}  // namespace surge::test
