#pragma once
// Clock: the one time type of limit/. Every component takes `now` as an argument (time is
// injected), so the logic is pure and tests move time by hand.

#include <chrono>
#include <cstdint>
#include <type_traits>

namespace surge::detail {

using Clock = std::chrono::steady_clock;  // same alias as server/deadline_list.hpp

// The arithmetic in limit/ works on Clock::rep as integer nanoseconds.
static_assert(std::is_same_v<Clock::duration, std::chrono::nanoseconds>,
              "limit/ assumes a steady_clock with nanosecond ticks (libstdc++, libc++)");

/// Nanoseconds since the clock's epoch (boot, for steady_clock on Linux).
inline std::int64_t to_ns(Clock::time_point t) {
  return t.time_since_epoch().count();
}
inline Clock::time_point from_ns(std::int64_t ns) {
  return Clock::time_point(Clock::duration(ns));
}

}  // namespace surge::detail
