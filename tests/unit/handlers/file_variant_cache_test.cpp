#include "handlers/file_variant_cache.hpp"

#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

FileVariantKey key(std::string_view path, ContentCoding coding = ContentCoding::kGzip,
                   std::uint64_t size = 100, std::int64_t seconds = 1700000000,
                   std::uint32_t nanoseconds = 5) {
  return {.path = path,
          .size = size,
          .mtime_seconds = seconds,
          .mtime_nanoseconds = nanoseconds,
          .coding = coding};
}

TEST(FileVariantCache, FindsWhatWasInserted) {
  FileVariantCache cache(1000);
  EXPECT_EQ(cache.find(key("a.txt")), nullptr);
  std::string bytes = "gzipped";
  const std::string* stored = cache.insert(key("a.txt"), std::move(bytes));
  ASSERT_NE(stored, nullptr);
  EXPECT_EQ(*stored, "gzipped");
  const std::string* found = cache.find(key("a.txt"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(*found, "gzipped");
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.used_bytes(), 5u + 7u);  // the path and the copy
}

TEST(FileVariantCache, KeyIsPathSizeMtimeAndCoding) {
  FileVariantCache cache(1000);
  ASSERT_NE(cache.insert(key("a.txt"), std::string("gz")), nullptr);
  ASSERT_NE(cache.insert(key("a.txt", ContentCoding::kBrotli), std::string("br")), nullptr);
  EXPECT_EQ(*cache.find(key("a.txt")), "gz");
  EXPECT_EQ(*cache.find(key("a.txt", ContentCoding::kBrotli)), "br");
  EXPECT_EQ(cache.find(key("b.txt")), nullptr);
  EXPECT_EQ(cache.find(key("a.txt", ContentCoding::kZstd)), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(FileVariantCache, AnotherVersionOfTheFileIsAMissAndDropsTheCopy) {
  FileVariantCache cache(1000);
  const auto kGzip = ContentCoding::kGzip;
  for (const FileVariantKey& changed :
       {key("a.txt", kGzip, 101), key("a.txt", kGzip, 100, 1700000001),
        key("a.txt", kGzip, 100, 1700000000, 6)}) {
    ASSERT_NE(cache.insert(key("a.txt"), std::string("old")), nullptr);
    EXPECT_EQ(cache.find(changed), nullptr);
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_EQ(cache.used_bytes(), 0u);
    EXPECT_EQ(cache.find(key("a.txt")), nullptr);
  }
}

TEST(FileVariantCache, ANewVersionReplacesTheOld) {
  FileVariantCache cache(1000);
  ASSERT_NE(cache.insert(key("a.txt"), std::string("old")), nullptr);
  ASSERT_NE(cache.insert(key("a.txt", ContentCoding::kGzip, 200), std::string("newer")), nullptr);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.used_bytes(), 5u + 5u);
  EXPECT_EQ(*cache.find(key("a.txt", ContentCoding::kGzip, 200)), "newer");
}

TEST(FileVariantCache, EvictsTheLeastRecentlyUsedToStayWithinTheBudget) {
  FileVariantCache cache(30);  // three entries of 1 + 9 bytes
  for (std::string_view path : {"a", "b", "c"}) {
    ASSERT_NE(cache.insert(key(path), std::string(9, 'x')), nullptr);
  }
  EXPECT_EQ(cache.used_bytes(), 30u);
  ASSERT_NE(cache.find(key("a")), nullptr);  // "b" is now the least recently used
  ASSERT_NE(cache.insert(key("d"), std::string(9, 'x')), nullptr);
  EXPECT_EQ(cache.used_bytes(), 30u);
  EXPECT_EQ(cache.find(key("b")), nullptr);
  EXPECT_NE(cache.find(key("a")), nullptr);
  EXPECT_NE(cache.find(key("c")), nullptr);
  EXPECT_NE(cache.find(key("d")), nullptr);
  // A larger entry evicts as many as it needs, oldest first ("a" was found before "c" and "d").
  ASSERT_NE(cache.insert(key("e"), std::string(19, 'x')), nullptr);
  EXPECT_EQ(cache.find(key("a")), nullptr);
  EXPECT_EQ(cache.find(key("c")), nullptr);
  EXPECT_NE(cache.find(key("d")), nullptr);
  EXPECT_EQ(cache.used_bytes(), 30u);
}

TEST(FileVariantCache, AnEntryLargerThanTheBudgetIsNeverStored) {
  FileVariantCache cache(30);
  ASSERT_NE(cache.insert(key("a"), std::string(9, 'x')), nullptr);
  std::string big(30, 'y');  // 31 with its path
  EXPECT_EQ(cache.insert(key("b"), std::move(big)), nullptr);
  EXPECT_EQ(big, std::string(30, 'y'));      // not moved from
  EXPECT_NE(cache.find(key("a")), nullptr);  // nothing evicted for it
  EXPECT_EQ(cache.find(key("b")), nullptr);
  // Exactly the budget fits, alone.
  EXPECT_NE(cache.insert(key("c"), std::string(29, 'z')), nullptr);
  EXPECT_EQ(cache.find(key("a")), nullptr);
  EXPECT_EQ(cache.used_bytes(), 30u);
}

TEST(FileVariantCache, ZeroBudgetStoresNothing) {
  FileVariantCache cache(0);
  EXPECT_EQ(cache.insert(key("a"), std::string()), nullptr);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(FileVariantCache, KeysOwnTheirPaths) {
  FileVariantCache cache(1000);
  std::string path = "css/site.css";
  ASSERT_NE(cache.insert(key(path), std::string("x")), nullptr);
  path = "js/other.js!";
  EXPECT_NE(cache.find(key("css/site.css")), nullptr);
  EXPECT_EQ(cache.find(key(path)), nullptr);
}

TEST(FileVariantCache, MovedCacheKeepsItsEntriesAndPointers) {
  FileVariantCache cache(1000);
  const std::string* stored = cache.insert(key("a-short-path"), std::string("bytes"));
  FileVariantCache moved = std::move(cache);
  EXPECT_EQ(moved.find(key("a-short-path")), stored);
  EXPECT_EQ(moved.used_bytes(), 12u + 5u);
}

}  // namespace
}  // namespace surge::detail
