#include "middleware/rejection.hpp"

#include <charconv>
#include <string>

namespace surge::detail {

std::uint64_t ceil_seconds(Clock::duration d) {
  constexpr std::int64_t kDay = 24 * 3600;
  if (d <= Clock::duration::zero()) return 0;
  if (d >= std::chrono::seconds(kDay)) return kDay;
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<std::uint64_t>(s);
}

void reject(Context& ctx, int status, std::string_view body, std::uint64_t retry_after_s) {
  ctx.text(status, body);
  char digits[24];
  const auto end =
      std::to_chars(digits, digits + sizeof(digits), retry_after_s < 1 ? 1 : retry_after_s).ptr;
  ctx.response().add_header("Retry-After", {digits, static_cast<std::size_t>(end - digits)});
}

bool LogThrottle::allow(Clock::time_point now, std::uint64_t& suppressed) {
  if (!budget_.try_acquire(now).allowed) {
    ++since_last_;
    total_.add();
    return false;
  }
  suppressed = since_last_;
  since_last_ = 0;
  return true;
}

}  // namespace surge::detail
