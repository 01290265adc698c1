#include "memory/slab_pool.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace surge::detail {
namespace {

TEST(SlabPool, HandsOutDistinctAlignedBlocksUpToCapacity) {
  SlabPool pool(100, 8);
  EXPECT_EQ(pool.block_size(), 112u);  // rounded up to 16
  std::set<void*> seen;
  for (int i = 0; i < 8; ++i) {
    void* p = pool.allocate();
    EXPECT_TRUE(pool.owns(p));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    EXPECT_TRUE(seen.insert(p).second);
  }
  EXPECT_EQ(pool.stats().in_use, 8u);
  EXPECT_EQ(pool.stats().misses, 0u);
  for (void* p : seen) pool.deallocate(p);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

TEST(SlabPool, ReusesTheMostRecentlyReleasedBlockFirst) {
  SlabPool pool(64, 4);
  void* a = pool.allocate();
  void* b = pool.allocate();
  pool.deallocate(a);
  pool.deallocate(b);
  EXPECT_EQ(pool.allocate(), b);
  EXPECT_EQ(pool.allocate(), a);
}

TEST(SlabPool, FallsBackToTheHeapWhenExhaustedAndCountsMisses) {
  SlabPool pool(64, 2);
  void* a = pool.allocate();
  void* b = pool.allocate();
  void* c = pool.allocate();  // beyond capacity
  EXPECT_FALSE(pool.owns(c));
  PoolStats s = pool.stats();
  EXPECT_EQ(s.capacity, 2u);
  EXPECT_EQ(s.in_use, 3u);
  EXPECT_EQ(s.misses, 1u);
  pool.deallocate(c);  // goes back to the heap, not into the free list
  pool.deallocate(a);
  pool.deallocate(b);
  EXPECT_EQ(pool.stats().in_use, 0u);
  void* d = pool.allocate();
  EXPECT_TRUE(pool.owns(d));
  EXPECT_EQ(pool.stats().misses, 1u);
  pool.deallocate(d);
}

TEST(SlabPool, ZeroCapacityAlwaysUsesTheHeap) {
  SlabPool pool(32, 0);
  void* p = pool.allocate();
  EXPECT_FALSE(pool.owns(p));
  EXPECT_EQ(pool.stats().misses, 1u);
  pool.deallocate(p);
}

struct Tracked {
  static inline int alive = 0;
  explicit Tracked(int v) : value(v) { ++alive; }
  ~Tracked() { --alive; }
  int value;
};

TEST(ObjectPool, ConstructsAndDestroysInPooledMemory) {
  ObjectPool<Tracked> pool(4);
  std::vector<Tracked*> objects;
  for (int i = 0; i < 6; ++i) objects.push_back(pool.create(i));  // two from the heap
  EXPECT_EQ(Tracked::alive, 6);
  EXPECT_EQ(pool.stats().misses, 2u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(objects[i]->value, i);
  for (Tracked* t : objects) pool.destroy(t);
  EXPECT_EQ(Tracked::alive, 0);
  EXPECT_EQ(pool.stats().in_use, 0u);
}

}  // namespace
}  // namespace surge::detail
