#include "memory/recycling_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

struct Warm {
  static inline int constructed = 0;
  static inline int destroyed = 0;
  Warm() { ++constructed; }
  ~Warm() { ++destroyed; }
  void reset() { ++resets; }
  std::vector<int> storage;  // capacity survives reset()
  int resets = 0;
};

TEST(RecyclingPool, KeepsReleasedObjectsConstructedAndReusesThem) {
  Warm::constructed = Warm::destroyed = 0;
  {
    RecyclingPool<Warm> pool(4, [](void* memory) { return new (memory) Warm(); });
    Warm* a = pool.acquire();
    a->storage.reserve(100);
    pool.release(a);
    Warm* b = pool.acquire();
    EXPECT_EQ(a, b);
    EXPECT_EQ(b->resets, 1);
    EXPECT_GE(b->storage.capacity(), 100u);
    EXPECT_EQ(Warm::constructed, 1);
    pool.release(b);
  }
  EXPECT_EQ(Warm::destroyed, 1);
}

TEST(RecyclingPool, BeyondCapacityObjectsComeFromTheHeapAndAreDestroyedOnRelease) {
  Warm::constructed = Warm::destroyed = 0;
  RecyclingPool<Warm> pool(1, [](void* memory) { return new (memory) Warm(); });
  Warm* a = pool.acquire();
  Warm* b = pool.acquire();
  EXPECT_EQ(pool.stats().misses, 1u);
  EXPECT_EQ(pool.stats().in_use, 2u);
  pool.release(b);  // a heap object is not kept
  EXPECT_EQ(Warm::destroyed, 1);
  pool.release(a);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

// Poisoning (sanitizer builds only): a released object stays constructed, but a stale pointer to
// it is reported while it waits in the free list.

constexpr const char* kNeedsAsan =
    "pools poison released memory only in AddressSanitizer builds (SURGE_SANITIZE=ON)";

struct Session {
  void reset() { user.clear(); }
  int id = 0;
  std::string user;  // beyond the small-string buffer: heap storage that survives reset()
};

TEST(RecyclingPoolDeathTest, UsingAReleasedObjectIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  RecyclingPool<Session> pool(2, [](void* memory) { return new (memory) Session(); });
  Session* stale = pool.acquire();
  stale->id = 42;
  pool.release(stale);
  EXPECT_DEATH(EXPECT_EQ(static_cast<volatile int&>(stale->id), 0), "use-after-poison");
  EXPECT_DEATH(static_cast<volatile int&>(stale->id) = 1, "use-after-poison");
  // A member function called through the stale pointer, as a late event handler would.
  EXPECT_DEATH(stale->user.assign("late"), "use-after-poison");
}

TEST(RecyclingPoolPoisoning, AReacquiredObjectIsUsableAndDestroyedWithoutAReport) {
  RecyclingPool<Session> pool(2, [](void* memory) { return new (memory) Session(); });
  Session* a = pool.acquire();
  a->user.assign(100, 'x');
  const std::size_t capacity = a->user.capacity();
  pool.release(a);
  Session* b = pool.acquire();
  ASSERT_EQ(b, a);
  EXPECT_TRUE(b->user.empty());
  EXPECT_EQ(b->user.capacity(), capacity);  // the warm storage survived, readable
  b->id = 7;
  b->user.assign(50, 'y');
  EXPECT_EQ(b->id, 7);
  pool.release(b);
  // The pool's destructor destroys b while it sits poisoned in the free list: ~std::string reads
  // its members, which must not be reported.
}

}  // namespace
}  // namespace surge::detail
