#pragma once
// DateCache: the `Date: ...\r\n` header line, formatted once per second per worker.

#include <chrono>
#include <cstdint>
#include <string_view>

namespace surge::detail {

/// Holds the preformatted IMF-fixdate header line (RFC 9110 5.6.7). Time is injected: the worker
/// calls update() from its tick; tests call it with any time. Single-threaded (one per worker).
class DateCache final {
 public:
  explicit DateCache(std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) {
    update(now);
  }

  /// Reformats only when the second changed. Returns true if it did.
  bool update(std::chrono::system_clock::time_point now);

  /// "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
  std::string_view header_line() const { return {line_, kLineSize}; }
  /// "Sun, 06 Nov 1994 08:49:37 GMT"
  std::string_view value() const { return {line_ + 6, kLineSize - 8}; }

 private:
  static constexpr std::size_t kLineSize = 37;
  std::int64_t second_ = INT64_MIN;
  char line_[kLineSize + 1] = {};
};

/// Formats an IMF-fixdate (29 characters) for `seconds` since the epoch into out.
void format_http_date(std::int64_t seconds, char* out);

}  // namespace surge::detail
