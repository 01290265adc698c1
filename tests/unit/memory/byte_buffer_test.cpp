#include "memory/byte_buffer.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace surge::detail
