#include "proxy/stale_cache.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

StaleCache::Entry answer(std::string body, Clock::time_point stored) {
  StaleCache::Entry e;
  e.body = std::move(body);
  e.headers = {{"X-Version", "1"}};
  e.stored = stored;
  return e;
}

TEST(StaleCache, KeepsAnAnswerUntilItsMaxAge) {
  StaleIfError config;
  config.max_age = 10s;
  StaleCache cache(config);
  const Clock::time_point t0{};
  cache.store(stale_key("shop", "/item?id=1"), answer("v1", t0));
  const StaleCache::Entry* kept = cache.find(stale_key("shop", "/item?id=1"), t0 + 10s);
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->body, "v1");
  EXPECT_EQ(kept->headers[0].second, "1");
  EXPECT_EQ(cache.find(stale_key("shop", "/item?id=1"), t0 + 10s + 1ms), nullptr);  // too old
  EXPECT_EQ(cache.find(stale_key("other", "/item?id=1"), t0), nullptr);             // the Host is in the key
}

TEST(StaleCache, ReplacesAnAnswerAtMostOnceASecond) {
  StaleCache cache(StaleIfError{});
  const Clock::time_point t0{};
  const std::string key = stale_key("shop", "/a");
  EXPECT_TRUE(cache.wants(key, t0));
  cache.store(key, answer("v1", t0));
  EXPECT_FALSE(cache.wants(key, t0 + 999ms));
  EXPECT_TRUE(cache.wants(key, t0 + 1s));
  cache.store(key, answer("v2", t0 + 1s));
  EXPECT_EQ(cache.find(key, t0 + 1s)->body, "v2");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(StaleCache, BoundedByEntriesOldestStoredFirstAndByBodySize) {
  StaleIfError config;
  config.max_entries = 2;
  config.max_body_bytes = 4;
  StaleCache cache(config);
  const Clock::time_point t0{};
  cache.store("a", answer("1", t0));
  cache.store("b", answer("2", t0));
  cache.store("a", answer("3", t0 + 2s));  // stored again: now the newest
  cache.store("c", answer("4", t0 + 2s));  // evicts b
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.find("b", t0 + 2s), nullptr);
  EXPECT_EQ(cache.find("a", t0 + 2s)->body, "3");
  cache.store("d", answer("too long", t0 + 2s));
  EXPECT_EQ(cache.find("d", t0 + 2s), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace surge::detail
