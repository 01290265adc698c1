#include "limit/worker_share.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0{};

TEST(TokenBucketWorkerShare, SplitsRateExactlyAndRoundsBurstUp) {
  const TokenBucketConfig share = per_worker_config({100, 1s, 20}, 8);
  EXPECT_EQ(share.rate, 100u);
  EXPECT_EQ(share.per, 8s);  // 12.5 per second
  EXPECT_EQ(share.burst, 3u);
  EXPECT_EQ(TokenBucketPolicy(share).interval(), 80ms);
}

TEST(TokenBucketWorkerShare, KeepsAtLeastOneTokenPerWorker) {
  EXPECT_EQ(per_worker_config({10, 1s, 1}, 16).burst, 1u);
}

TEST(TokenBucketWorkerShare, FullShareAndOneWorkerKeepTheConfig) {
  const TokenBucketConfig config{100, 1s, 20};
  for (const TokenBucketConfig& c : {per_worker_config(config, 8, WorkerShare::kFull),
                                     per_worker_config(config, 1), per_worker_config(config, 0)}) {
    EXPECT_EQ(c.rate, 100u);
    EXPECT_EQ(c.per, 1s);
    EXPECT_EQ(c.burst, 20u);
  }
}

// The documented tolerance of kSplit: saturating every worker for t admits between R*t and
// R*t + B + N - 1; a key on one worker gets R/N.
TEST(TokenBucketWorkerShare, SplitHoldsTheProcessLimitWithinTheStatedTolerance) {
  constexpr std::uint32_t kWorkers = 8;
  const TokenBucketConfig process{100, 1s, 20};
  std::vector<TokenBucket> workers(kWorkers, TokenBucket(per_worker_config(process, kWorkers)));
  std::uint64_t admitted = 0;
  std::uint64_t admitted_by_first = 0;
  for (auto t = 0ms; t < 10s; t += 1ms) {
    for (std::uint32_t w = 0; w < kWorkers; ++w) {
      while (workers[w].try_acquire(kT0 + t).allowed) {
        ++admitted;
        if (w == 0) ++admitted_by_first;
      }
    }
  }
  EXPECT_GE(admitted, 1000u);
  EXPECT_LE(admitted, 1000u + 20 + kWorkers - 1);
  EXPECT_EQ(admitted, 1016u);          // 8 x (3 + 124): a token every 80 ms in [0, 10 s)
  EXPECT_EQ(admitted_by_first, 127u);  // R/N: 12.5/s for 10 s, plus its burst of 3
}

}  // namespace
}  // namespace surge::detail
