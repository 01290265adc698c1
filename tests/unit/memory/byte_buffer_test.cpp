#include "memory/byte_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

#include "memory/poison.hpp"

namespace surge::detail {
namespace {

TEST(ByteBuffer, TakesItsFirstBlockFromThePoolLazily) {
  SlabPool pool(256, 2);
  {
    ByteBuffer buffer(&pool);
    EXPECT_FALSE(buffer.has_storage());
    EXPECT_EQ(pool.stats().in_use, 0u);
    buffer.append("hello");
    EXPECT_EQ(pool.stats().in_use, 1u);
    EXPECT_EQ(buffer.view(), "hello");
    EXPECT_EQ(buffer.capacity(), 256u);
  }
  EXPECT_EQ(pool.stats().in_use, 0u);  // released by the destructor
}

TEST(ByteBuffer, GrowsToTheHeapKeepingContentAndReleasesThePoolBlock) {
  SlabPool pool(256, 2);
  ByteBuffer buffer(&pool);
  buffer.append(std::string(200, 'a'));
  buffer.append(std::string(200, 'b'));
  EXPECT_EQ(buffer.size(), 400u);
  EXPECT_EQ(buffer.view(), std::string(200, 'a') + std::string(200, 'b'));
  EXPECT_EQ(pool.stats().in_use, 0u);
  buffer.release_if_large();
  EXPECT_FALSE(buffer.has_storage());
}

TEST(ByteBuffer, EraseFrontMovesTheRestToTheFront) {
  ByteBuffer buffer;
  buffer.append("abcdef");
  buffer.erase_front(2);
  EXPECT_EQ(buffer.view(), "cdef");
  buffer.erase_front(10);
  EXPECT_TRUE(buffer.empty());
}

TEST(ByteBuffer, PrepareAndCommitWriteInPlace) {
  ByteBuffer buffer;
  char* p = buffer.prepare(3);
  p[0] = 'x';
  p[1] = 'y';
  buffer.commit(2);
  EXPECT_EQ(buffer.view(), "xy");
  EXPECT_GE(buffer.writable(10), 10u);
}

TEST(ByteBuffer, ReleaseReturnsPooledStorage) {
  SlabPool pool(128, 1);
  ByteBuffer buffer(&pool);
  buffer.append("x");
  buffer.release();
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_TRUE(buffer.empty());
  buffer.append("again");
  EXPECT_EQ(buffer.view(), "again");
}

// Poisoning (sanitizer builds only): a pooled block a buffer gave back is poisoned, so a view
// into a buffer's old storage is reported instead of reading whatever the next owner wrote there.

constexpr const char* kNeedsAsan =
    "pools poison released memory only in AddressSanitizer builds (SURGE_SANITIZE=ON)";

char read_char(const char* p) { return *static_cast<const volatile char*>(p); }

TEST(ByteBufferDeathTest, AViewKeptAcrossReleaseIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  SlabPool pool(256, 2);
  ByteBuffer buffer(&pool);
  buffer.append("Authorization: Bearer secret");
  const std::string_view stale = buffer.view();
  buffer.release();
  EXPECT_DEATH(read_char(stale.data() + 15), "use-after-poison");
}

// The pattern of a view into a read buffer that then grows into the heap: the pooled block the
// view points into goes back to the pool.
TEST(ByteBufferDeathTest, AViewKeptAcrossAMoveToTheHeapIsReported) {
  if (!kPoisonsReleasedMemory) GTEST_SKIP() << kNeedsAsan;
  SlabPool pool(256, 2);
  ByteBuffer buffer(&pool);
  buffer.append("GET /users/42 HTTP/1.1\r\n");
  const std::string_view stale = buffer.view().substr(11, 2);
  buffer.prepare(1000);  // beyond the block: the storage moves
  EXPECT_EQ(pool.stats().in_use, 0u);
  EXPECT_DEATH(read_char(stale.data()), "use-after-poison");
}

TEST(ByteBufferPoisoning, APooledBlockTakenAgainIsUsableWhole) {
  SlabPool pool(256, 1);
  ByteBuffer first(&pool);
  first.append("x");
  first.release();
  ByteBuffer second(&pool);
  const std::size_t room = second.writable(1);
  ASSERT_EQ(room, 256u);
  std::memset(second.prepare(room), 'z', room);
  second.commit(room);
  EXPECT_EQ(second.view(), std::string(256, 'z'));
}

}  // namespace
}  // namespace surge::detail
