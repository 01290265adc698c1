#include "handlers/http_date.hpp"

#include <array>
#include <chrono>
#include <cstddef>

namespace surge::detail {
namespace {

constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct DateFields {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& names) {
  for (std::string_view name : names) {
    if (word == name) return true;
  }
  return false;
}

// Exactly `count` ASCII digits at `pos`.
bool read_digits(std::string_view s, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  return true;
}

bool read_month(std::string_view s, std::size_t pos, int& out) {
  if (pos + 3 > s.size()) return false;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (s.substr(pos, 3) == kMonths[i]) {
      out = static_cast<int>(i) + 1;
      return true;
    }
  }
  return false;
}

// "HH:MM:SS" at pos.
bool read_time(std::string_view s, std::size_t pos, DateFields& f) {
  return pos + 8 <= s.size() && read_digits(s, pos, 2, f.hour) && s[pos + 2] == ':' &&
         read_digits(s, pos + 3, 2, f.minute) && s[pos + 5] == ':' &&
         read_digits(s, pos + 6, 2, f.second);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool read_imf_fixdate(std::string_view s, DateFields& f) {
  return s.size() == 29 && is_one_of(s.substr(0, 3), kDays) && s.substr(3, 2) == ", " &&
         read_digits(s, 5, 2, f.day) && s[7] == ' ' && read_month(s, 8, f.month) && s[11] == ' ' &&
         read_digits(s, 12, 4, f.year) && s[16] == ' ' && read_time(s, 17, f) &&
         s.substr(25) == " GMT";
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
bool read_rfc850(std::string_view s, DateFields& f) {
  const std::size_t comma = s.find(", ");
  if (comma == std::string_view::npos || !is_one_of(s.substr(0, comma), kLongDays)) return false;
  const std::string_view r = s.substr(comma + 2);
  int yy = 0;
  if (!(r.size() == 22 && read_digits(r, 0, 2, f.day) && r[2] == '-' && read_month(r, 3, f.month) &&
        r[6] == '-' && read_digits(r, 7, 2, yy) && r[9] == ' ' && read_time(r, 10, f) &&
        r.substr(18) == " GMT")) {
    return false;
  }
  // A fixed pivot instead of RFC 9110's "more than 50 years in the future" rule: it needs no
  // clock, and no client has sent this form with a post-2000 date for decades.
  f.year = yy >= 70 ? 1900 + yy : 2000 + yy;
  return true;
}

// "Sun Nov  6 08:49:37 1994" (day padded with a space, not a zero)
bool read_asctime(std::string_view s, DateFields& f) {
  if (s.size() != 24 || !is_one_of(s.substr(0, 3), kDays) || s[3] != ' ' ||
      !read_month(s, 4, f.month) || s[7] != ' ') {
    return false;
  }
  const bool day_ok = s[8] == ' ' ? read_digits(s, 9, 1, f.day) : read_digits(s, 8, 2, f.day);
  return day_ok && s[10] == ' ' && read_time(s, 11, f) && s[19] == ' ' &&
         read_digits(s, 20, 4, f.year);
}

std::optional<std::int64_t> to_epoch_seconds(const DateFields& f) {
  using namespace std::chrono;
  const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month)},
                            day{static_cast<unsigned>(f.day)}};
  if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const std::int64_t days = sys_days{date}.time_since_epoch().count();
  return days * 86400 + std::int64_t{f.hour} * 3600 + std::int64_t{f.minute} * 60 + f.second;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  DateFields fields;
  if (read_imf_fixdate(text, fields) || read_asctime(text, fields) || read_rfc850(text, fields)) {
    return to_epoch_seconds(fields);
  }
  return std::nullopt;
}

}  // namespace surge::detail
