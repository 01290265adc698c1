#include "memory/recycling_pool.hpp"

#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
}  // namespace surge::detail
