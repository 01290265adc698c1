#include "memory/arena.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

TEST(Arena, ServesSmallRequestsInlineAndLargerOnesFromCountedHeapChunks) {
  Arena arena;
  auto* a = static_cast<char*>(arena.allocate(100));
  std::memset(a, 'a', 100);
  auto* b = static_cast<char*>(arena.allocate(1));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % Arena::kAlignment, 0u);
  EXPECT_GE(b, a + 100);
  EXPECT_EQ(arena.heap_chunks(), 0u);
  auto* big = static_cast<char*>(arena.allocate(Arena::kInlineBytes));
  std::memset(big, 'b', Arena::kInlineBytes);
  EXPECT_EQ(arena.heap_chunks(), 1u);
  EXPECT_EQ(a[99], 'a');  // earlier memory never moves
  arena.reset();
  EXPECT_EQ(arena.allocate(16), static_cast<void*>(a));  // inline again after reset()
}

// Poisoning (sanitizer builds only): what was handed out before reset() is reported if touched
// after it, and the inline bytes never handed out are poisoned too.

constexpr const char* kNeedsAsan =
    "the arena poisons its inline block only in AddressSanitizer builds (SURGE_SANITIZE=ON)";

char read_char(const void* p) { return *static_cast<const volatile char*>(p); }

TEST(ArenaDeathTest, AViewKeptPastResetIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  Arena arena;
  auto* value = static_cast<char*>(arena.allocate(6));
  std::memcpy(value, "secret", 6);
  arena.reset();
  EXPECT_DEATH(read_char(value + 3), "use-after-poison");
}

TEST(ArenaDeathTest, InlineBytesNotHandedOutArePoisoned) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  Arena arena;
  auto* value = static_cast<char*>(arena.allocate(16));
  EXPECT_DEATH(read_char(value + 16), "use-after-poison");
}

TEST(ArenaPoisoning, MemoryHandedOutAgainAfterResetIsUsable) {
  Arena arena;
  arena.allocate(64);
  arena.reset();
  auto* all = static_cast<char*>(arena.allocate(Arena::kInlineBytes));
  std::memset(all, 'x', Arena::kInlineBytes);
  EXPECT_EQ(read_char(all + Arena::kInlineBytes - 1), 'x');
  EXPECT_EQ(arena.heap_chunks(), 0u);
}

// An arena lives inside other objects (a pooled exchange, a stack frame): once it is destroyed,
// its bytes belong to whatever is placed there next.
TEST(ArenaPoisoning, ItsStorageIsUsableAfterItIsDestroyed) {
  alignas(Arena) unsigned char storage[sizeof(Arena)];
  auto* arena = new (storage) Arena();
  arena->allocate(8);
  arena->~Arena();
  std::memset(storage, 0, sizeof storage);
  EXPECT_EQ(read_char(storage + sizeof storage / 2), 0);
}

}  // namespace
}  // namespace surge::detail
