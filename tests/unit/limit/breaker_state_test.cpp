#include "limit/breaker_state.hpp"

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

TEST(BreakerState, WordsRoundTripThroughTheirEncoding) {
  const BreakerWord words[] = {
      BreakerWord::closed(0),
      BreakerWord::closed(0xffff),
      BreakerWord::open(7, 1, 5000),
      BreakerWord::open(0xffff, BreakerWord::kMaxTrips, BreakerWord::kMaxOpenUntilMs),
      BreakerWord::half_open(9, 3, BreakerWord::kMaxProbes),
      {BreakerStatus::kHalfOpen, 2, 10, 0, 5, BreakerWord::kMaxProbes},
      BreakerWord::forced(BreakerStatus::kForcedOpen, 12),
      BreakerWord::forced(BreakerStatus::kForcedClosed, 13),
  };
  for (const BreakerWord& w : words) {
    EXPECT_EQ(BreakerWord::decode(w.encode()), w) << to_string(w.status);
  }
}

TEST(BreakerState, TheInitialWordIsClosedAtGenerationZero) {
  BreakerState state;
  EXPECT_EQ(state.load(), BreakerWord::closed(0));
  EXPECT_EQ(BreakerWord::closed(0).encode(), 0u);
}

TEST(BreakerState, ReplaceSucceedsOnlyFromTheExpectedWord) {
  BreakerState state;
  EXPECT_FALSE(state.replace(BreakerWord::closed(1), BreakerWord::open(2, 1, 10)));
  EXPECT_TRUE(state.replace(BreakerWord::closed(0), BreakerWord::open(1, 1, 10)));
  EXPECT_EQ(state.load(), BreakerWord::open(1, 1, 10));
}

TEST(BreakerState, NamesStatusesAndReasons) {
  EXPECT_EQ(to_string(BreakerStatus::kHalfOpen), "half_open");
  EXPECT_EQ(to_string(TransitionReason::kSlowCallRatio), "slow_call_ratio");
}

}  // namespace
}  // namespace surge::detail
