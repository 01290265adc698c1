#include "limit/shared_token_bucket.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace surge::detail {
namespace {

using namespace std::chrono_literals;

constexpr Clock::time_point kT0{};

TEST(SharedTokenBucket, AccountsExactlyLikeTokenBucket) {
  const TokenBucketConfig config{10, 1s, 5};
  SharedTokenBucket shared(config);
  TokenBucket local(config);
  for (auto t = 0ms; t < 2s; t += 30ms) {
    for (std::uint32_t n : {1u, 2u, 1u}) {
      const TokenBucketResult a = shared.try_acquire(kT0 + t, n);
      const TokenBucketResult b = local.try_acquire(kT0 + t, n);
      ASSERT_EQ(a.allowed, b.allowed) << t.count();
      ASSERT_EQ(a.remaining, b.remaining);
      ASSERT_EQ(a.retry_after, b.retry_after);
      ASSERT_EQ(a.reset_after, b.reset_after);
    }
  }
  EXPECT_EQ(shared.peek(kT0 + 2s).remaining, local.peek(kT0 + 2s).remaining);
}

TEST(SharedTokenBucket, ConcurrentWorkersAdmitExactlyTheBurst) {
  constexpr std::uint32_t kBurst = 1000;
  SharedTokenBucket bucket({1, 1s, kBurst});
  std::atomic<std::uint32_t> admitted{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      std::uint32_t mine = 0;
      for (int i = 0; i < 5000; ++i)
        mine += bucket.try_acquire(kT0 + 1ms).allowed ? 1 : 0;
      admitted.fetch_add(mine);
    });
  }
  for (auto& t : workers)
    t.join();
  EXPECT_EQ(admitted.load(), kBurst);
}

}  // namespace
}  // namespace surge::detail
