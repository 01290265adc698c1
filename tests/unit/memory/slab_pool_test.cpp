#include "memory/slab_pool.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <vector>

#include "memory/poison.hpp"

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

// Poisoning (sanitizer builds only). A stale access goes through a volatile pointer so the
// compiler cannot drop it; ASan's report ends the child process of the death test.

constexpr const char* kNeedsAsan =
    "pools poison released memory only in AddressSanitizer builds (SURGE_SANITIZE=ON)";
constexpr const char* kPoisonReport = "use-after-poison";

unsigned char read_byte(void* p, std::size_t offset) {
  return static_cast<volatile unsigned char*>(p)[offset];
}
void write_byte(void* p, std::size_t offset, unsigned char value) {
  static_cast<volatile unsigned char*>(p)[offset] = value;
}

TEST(SlabPoolDeathTest, ReadingAReleasedBlockIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  SlabPool pool(64, 4);
  void* stale = pool.allocate();
  std::memset(stale, 0x5a, pool.block_size());
  pool.deallocate(stale);
  EXPECT_DEATH(read_byte(stale, 40), kPoisonReport);
  // The free list's link lives in the first bytes: poisoned as well.
  EXPECT_DEATH(read_byte(stale, 0), kPoisonReport);
}

TEST(SlabPoolDeathTest, WritingAReleasedBlockIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  SlabPool pool(64, 4);
  void* stale = pool.allocate();
  void* other = pool.allocate();
  pool.deallocate(other);
  pool.deallocate(stale);  // its link now points at `other`
  EXPECT_DEATH(write_byte(stale, 0, 1), kPoisonReport);
  EXPECT_DEATH(write_byte(stale, pool.block_size() - 1, 1), kPoisonReport);
}

TEST(SlabPoolDeathTest, NeverUsedBlocksArePoisonedFromTheStart) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  SlabPool pool(64, 4);
  void* first = pool.allocate();
  // One byte past the only block in use: an overrun into the reserved range.
  EXPECT_DEATH(write_byte(first, pool.block_size(), 1), kPoisonReport);
  pool.deallocate(first);
}

TEST(SlabPoolDeathTest, TrimmedBlocksStayPoisoned) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  SlabPool pool(page, 4, 1);
  std::vector<void*> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(pool.allocate());
  for (void* p : blocks) pool.deallocate(p);
  pool.trim();
  ASSERT_EQ(pool.trim(), 2u);
  int trimmed = 0;
  for (void* p : blocks) {
    trimmed += resident(p) ? 0 : 1;
    EXPECT_DEATH(read_byte(p, 0), kPoisonReport);
    EXPECT_DEATH(read_byte(p, page / 2), kPoisonReport);
  }
  EXPECT_EQ(trimmed, 2);
}

TEST(SlabPoolPoisoning, ABlockHandedOutAgainIsUsableWhole) {
  SlabPool pool(100, 2);
  void* a = pool.allocate();
  pool.deallocate(a);
  void* again = pool.allocate();
  ASSERT_EQ(again, a);
  // Every byte, the free list's link included: no false report.
  std::memset(again, 0x11, pool.block_size());
  unsigned sum = 0;
  for (std::size_t i = 0; i < pool.block_size(); ++i) sum += read_byte(again, i);
  EXPECT_EQ(sum, 0x11u * pool.block_size());
  // The never-used neighbour and a heap fallback are usable whole as well.
  void* b = pool.allocate();
  void* heap = pool.allocate();
  EXPECT_FALSE(pool.owns(heap));
  std::memset(b, 0x22, pool.block_size());
  std::memset(heap, 0x33, pool.block_size());
  pool.deallocate(heap);
  pool.deallocate(b);
  pool.deallocate(again);
}

TEST(SlabPoolPoisoning, TrimAndReuseOfTrimmedBlocksWork) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  SlabPool pool(page, 6, 1);
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(pool.allocate());
    std::memset(blocks.back(), 0xab, page);
  }
  for (void* p : blocks) pool.deallocate(p);
  pool.trim();
  ASSERT_EQ(pool.trim(), 4u);
  // Trimming read the poisoned links of the free blocks without a report; now every block comes
  // back usable, the trimmed ones zero-filled by the kernel.
  for (auto& p : blocks) {
    p = pool.allocate();
    EXPECT_TRUE(pool.owns(p));
  }
  EXPECT_EQ(pool.trimmed(), 0u);
  int zero_filled = 0;
  for (void* p : blocks) {
    zero_filled += read_byte(p, page - 1) == 0 ? 1 : 0;
    std::memset(p, 0xcd, page);
    EXPECT_EQ(read_byte(p, 0), 0xcd);
    EXPECT_EQ(read_byte(p, page - 1), 0xcd);
  }
  EXPECT_EQ(zero_filled, 4);
  // And trimmed again after another idle period, still without a report.
  for (void* p : blocks) pool.deallocate(p);
  pool.trim();
  EXPECT_EQ(pool.trim(), 4u);
  EXPECT_EQ(pool.stats().misses, 0u);
}

// The shadow of the range must be cleared when the pool unmaps it: whatever the kernel maps at
// that address next (another pool, a library's mmap) is not the pool's to poison.
TEST(SlabPoolPoisoning, AReusedAddressRangeIsNotReportedAfterThePoolIsGone) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* base = nullptr;
  {
    SlabPool pool(page, 4);
    base = pool.allocate();  // the first block is the start of the range
    pool.deallocate(base);
  }
  void* again = ::mmap(base, 4 * page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (again == MAP_FAILED) GTEST_SKIP() << "the address range was taken again before the test";
  ASSERT_EQ(again, base);
  std::memset(again, 0x44, 4 * page);
  EXPECT_EQ(read_byte(again, 3 * page + 1), 0x44);
  ::munmap(again, 4 * page);
}

TEST(ObjectPoolDeathTest, UsingADestroyedObjectIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  ObjectPool<Tracked> pool(2);
  Tracked* stale = pool.create(7);
  pool.destroy(stale);
  EXPECT_DEATH(EXPECT_EQ(static_cast<volatile Tracked*>(stale)->value, 7), kPoisonReport);
  EXPECT_DEATH(static_cast<volatile Tracked*>(stale)->value = 8, kPoisonReport);
}

struct EventTarget {
  virtual ~EventTarget() = default;
  virtual int on_events(int events) = 0;
};
struct PooledConnection final : EventTarget {
  int on_events(int events) override { return seen += events; }
  int seen = 0;
};

// Issue 12, item 1: an event still queued for a connection freed earlier in the same round was
// delivered through the freed pointer (a virtual call), unseen because the pool kept the memory.
TEST(ObjectPoolDeathTest, AVirtualCallThroughADestroyedObjectIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  ObjectPool<PooledConnection> pool(2);
  EventTarget* stale = pool.create();
  pool.destroy(static_cast<PooledConnection*>(stale));
  EXPECT_DEATH(stale->on_events(1), kPoisonReport);
}

TEST(ObjectPoolPoisoning, AnObjectCreatedInAReleasedBlockIsUsable) {
  ObjectPool<Tracked> pool(1);
  Tracked* first = pool.create(1);
  pool.destroy(first);
  Tracked* second = pool.create(2);
  EXPECT_EQ(second, first);
  EXPECT_EQ(second->value, 2);
  second->value = 3;
  EXPECT_EQ(second->value, 3);
  pool.destroy(second);
}

}  // namespace
}  // namespace surge::detail
