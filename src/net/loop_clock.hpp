#pragma once
// LoopClock: where a worker's loop reads the time, once per round.

#include <chrono>

#include "net/deadline_list.hpp"

namespace surge::detail {

/// The steady clock, unless a test supplies one it moves by hand (timeouts then pass without
/// sleeping). Read once per round of the loop (nginx's cached time): everything that happens in
/// a round sees the same now. Any thread may read it; a test moves it from its own thread.
class LoopClock {
 public:
  virtual ~LoopClock() = default;
  virtual Clock::time_point now() const = 0;
};

}  // namespace surge::detail
