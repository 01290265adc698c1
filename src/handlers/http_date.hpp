#pragma once
// parse_http_date: the inverse of format_http_date (src/http/date_cache.hpp), for the dates that
// conditional requests carry (If-Modified-Since, If-Unmodified-Since, If-Range).

#include <cstdint>
#include <optional>
#include <string_view>

namespace surge::detail {

/// Seconds since the epoch (UTC) for an HTTP-date (RFC 9110 5.6.7), or nullopt if `text` is not
/// one. Accepts the three forms recipients must accept:
///   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"   (what every current client sends)
///   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"  (two-digit year: 70-99 -> 19xx, 00-69 -> 20xx)
///   asctime      "Sun Nov  6 08:49:37 1994"
/// Exact syntax (case-sensitive names, "GMT", fixed widths; no surrounding spaces), valid
/// calendar date, hour <= 23, minute <= 59, second <= 60. The weekday must be a valid name but
/// is not checked against the date (as nginx). Never throws, never allocates.
std::optional<std::int64_t> parse_http_date(std::string_view text);

}  // namespace surge::detail
