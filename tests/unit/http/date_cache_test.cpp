#include "http/date_cache.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

TEST(DateCache, FormatsImfFixdate) {
  DateCache cache(system_clock::time_point(seconds(784111777)));  // RFC 9110's example
  EXPECT_EQ(cache.value(), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(cache.header_line(), "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
}

TEST(DateCache, ReformatsOnlyWhenTheSecondChanges) {
  DateCache cache(system_clock::time_point(seconds(0)));
  EXPECT_EQ(cache.value(), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_FALSE(cache.update(system_clock::time_point(std::chrono::milliseconds(999))));
  EXPECT_TRUE(cache.update(system_clock::time_point(seconds(1))));
  EXPECT_EQ(cache.value(), "Thu, 01 Jan 1970 00:00:01 GMT");
  EXPECT_TRUE(cache.update(system_clock::time_point(seconds(951782400))));  // leap day 2000
  EXPECT_EQ(cache.value(), "Tue, 29 Feb 2000 00:00:00 GMT");
}

}  // namespace
}  // namespace surge::detail
