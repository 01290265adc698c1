#include "handlers/http_date.hpp"

#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>

#include "http/date_cache.hpp"

namespace surge::detail {
namespace {

constexpr std::int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, ParsesTheThreeFormsOfRfc9110) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(parse_http_date("Thu Nov 16 08:49:37 1994"), kRfcExample + 10 * 86400);
}

TEST(HttpDate, Rfc850TwoDigitYearsPivotAt1970) {
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
}

TEST(HttpDate, InvertsFormatHttpDate) {
  for (std::int64_t t :
       {std::int64_t{0}, std::int64_t{951782400} /* leap day 2000 */, std::int64_t{1700000000},
        std::int64_t{2147483648}, std::int64_t{253402300799} /* 9999-12-31 */}) {
    char text[29];
    format_http_date(t, text);
    EXPECT_EQ(parse_http_date({text, sizeof text}), t) << std::string_view(text, sizeof text);
  }
}

TEST(HttpDate, ChecksTheCalendar) {
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800);
  EXPECT_EQ(parse_http_date("Wed, 01 Jan 2025 23:59:60 GMT"), 1735776000);  // leap second
  EXPECT_FALSE(parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Mon, 31 Apr 2023 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Mon, 00 Jan 2023 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Mon, 01 Jan 2023 24:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Mon, 01 Jan 2023 00:60:00 GMT"));
  EXPECT_FALSE(parse_http_date("Mon, 01 Jan 2023 00:00:61 GMT"));
}

TEST(HttpDate, RejectsAnythingElse) {
  for (std::string_view text : {
           "",
           "garbage",
           "Sun, 06 Nov 1994 08:49:37 UTC",
           "Sun, 06 Nov 1994 08:49:37 GMT ",
           " Sun, 06 Nov 1994 08:49:37 GMT",
           "sun, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06-Nov-94 08:49:37 GMT",
           "Sunday, 06 Nov 1994 08:49:37 GMT",
           "Sun Nov 06 08:49:37 1994 ",
           "Sun Nov 6 08:49:37 1994",
           "1700000000",
       }) {
    EXPECT_FALSE(parse_http_date(text)) << text;
  }
  EXPECT_FALSE(parse_http_date(std::string_view("Sun, 06 Nov 1994 08:49:37 GM\0", 29)));
}

}  // namespace
}  // namespace surge::detail
