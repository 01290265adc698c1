#include "memory/slab_pool.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
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

bool resident(void* block) {
  unsigned char in_core = 0;
  EXPECT_EQ(::mincore(block, 1, &in_core), 0);
  return (in_core & 1) != 0;
}

TEST(SlabPool, TrimGivesBackBlocksThatStayedFreeBeyondTheWarmCount) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  SlabPool pool(page, 8, 2);
  std::vector<void*> blocks;
  for (int i = 0; i < 6; ++i) {
    blocks.push_back(pool.allocate());
    std::memset(blocks.back(), 0xab, page);
    EXPECT_TRUE(resident(blocks.back()));
  }
  for (void* p : blocks) pool.deallocate(p);
  EXPECT_EQ(pool.trim(), 0u);  // freed just now: not idle for a whole period yet
  EXPECT_EQ(pool.trim(), 4u);  // free for a whole period: all but the two kept warm go back
  EXPECT_EQ(pool.trimmed(), 4u);
  EXPECT_EQ(pool.stats().in_use, 0u);
  int still_resident = 0;
  for (void* p : blocks) still_resident += resident(p) ? 1 : 0;
  EXPECT_EQ(still_resident, 2);

  // Warm blocks first, then the trimmed ones (zero-filled again), all from the pool.
  std::set<void*> again;
  for (int i = 0; i < 6; ++i) {
    void* p = pool.allocate();
    EXPECT_TRUE(pool.owns(p));
    EXPECT_TRUE(again.insert(p).second);
    if (i >= 2) {
      EXPECT_EQ(static_cast<unsigned char*>(p)[page - 1], 0) << i;
    }
  }
  EXPECT_EQ(again, std::set<void*>(blocks.begin(), blocks.end()));
  EXPECT_EQ(pool.trimmed(), 0u);
  EXPECT_EQ(pool.stats().misses, 0u);
  for (void* p : again) pool.deallocate(p);
}

TEST(SlabPool, TrimSparesBlocksInSteadyUse) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  SlabPool pool(page, 8, 1);
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(pool.allocate());
  for (void* p : blocks) pool.deallocate(p);
  pool.trim();  // starts a period with 4 free
  for (int round = 0; round < 3; ++round) {
    // Every period all four are taken and given back: none stayed free, none is trimmed.
    for (auto& p : blocks) p = pool.allocate();
    for (void* p : blocks) pool.deallocate(p);
    EXPECT_EQ(pool.trim(), 0u) << round;
  }
  for (void* p : blocks) EXPECT_TRUE(resident(p));
}

TEST(SlabPool, BlocksSmallerThanAPageAreNeverTrimmed) {
  SlabPool pool(64, 8, 1);
  void* a = pool.allocate();
  void* b = pool.allocate();
  pool.deallocate(a);
  pool.deallocate(b);
  pool.trim();
  EXPECT_EQ(pool.trim(), 0u);
  EXPECT_EQ(pool.trimmed(), 0u);
  EXPECT_EQ(pool.allocate(), b);
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
