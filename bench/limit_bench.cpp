// Cost of the traffic-protection primitives on the request path (src/limit/). Time is a fake
// clock advanced by hand, as in production code paths that take `now` from the worker's tick.

#include <cstring>
#include <string>

#include <benchmark/benchmark.h>

#include "limit/adaptive_limit.hpp"
#include "limit/circuit_breaker.hpp"
#include "limit/keyed_limiter.hpp"
#include "limit/shared_token_bucket.hpp"
#include "limit/token_bucket.hpp"

namespace {

using namespace std::chrono_literals;
using surge::detail::Clock;

constexpr Clock::time_point kT0 = Clock::time_point{} + 1h;
constexpr surge::detail::SipKey kSeed{0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL};

surge::detail::LimitKey address_key(std::uint32_t n) {
  surge::detail::LimitKey k;
  k.bytes[10] = k.bytes[11] = 0xff;  // IPv4-mapped
  std::memcpy(k.bytes.data() + 12, &n, sizeof n);
  return k;
}

void BM_ClockNow(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(Clock::now());
}
BENCHMARK(BM_ClockNow);

void BM_TokenBucketTryAcquire(benchmark::State& state) {
  surge::detail::TokenBucket bucket({1'000'000, 1s, 100});
  Clock::time_point now = kT0;
  for (auto _ : state) {
    now += 1us;
    benchmark::DoNotOptimize(bucket.try_acquire(now));
  }
}
BENCHMARK(BM_TokenBucketTryAcquire);

// Hits: `range(0)` live clients cycling through a table of 65536 keys.
void BM_KeyedLimiterHit(benchmark::State& state) {
  surge::detail::KeyedLimiter limiter({{100, 1s, 100}, 65536}, kSeed);
  const auto clients = static_cast<std::uint32_t>(state.range(0));
  for (std::uint32_t i = 0; i < clients; ++i)
    limiter.try_acquire(address_key(i), kT0);
  Clock::time_point now = kT0;
  std::uint32_t i = 0;
  for (auto _ : state) {
    now += 1us;
    benchmark::DoNotOptimize(limiter.try_acquire(address_key(i), now));
    i = i + 1 == clients ? 0 : i + 1;
  }
}
BENCHMARK(BM_KeyedLimiterHit)->Arg(1024)->Arg(65536);

// A flood of distinct addresses: every request misses, evicts the oldest key and inserts.
void BM_KeyedLimiterMissEvicts(benchmark::State& state) {
  surge::detail::KeyedLimiter limiter({{100, 1s, 100}, 65536}, kSeed);
  Clock::time_point now = kT0;
  std::uint32_t i = 0;
  for (auto _ : state) {
    now += 1us;
    benchmark::DoNotOptimize(limiter.try_acquire(address_key(i++), now));
  }
}
BENCHMARK(BM_KeyedLimiterMissEvicts);

void BM_LimitKeyFromApiKey(benchmark::State& state) {
  const std::string api_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
  for (auto _ : state) {
    benchmark::DoNotOptimize(surge::detail::LimitKey::from_string(api_key, kSeed));
  }
}
BENCHMARK(BM_LimitKeyFromApiKey);

// allow() + record() on a closed breaker: the whole per-request cost.
void BM_BreakerClosedCall(benchmark::State& state) {
  surge::detail::CircuitBreaker breaker({}, 1);
  surge::detail::BreakerShard& shard = breaker.shard(0);
  Clock::time_point now = kT0;
  for (auto _ : state) {
    now += 1us;
    const surge::detail::BreakerPermit permit = shard.allow(now);
    benchmark::DoNotOptimize(shard.record(permit, surge::detail::CallOutcome::kSuccess, 1ms, now));
  }
}
BENCHMARK(BM_BreakerClosedCall);

void BM_BreakerClosedAllow(benchmark::State& state) {
  surge::detail::CircuitBreaker breaker({}, 1);
  surge::detail::BreakerShard& shard = breaker.shard(0);
  for (auto _ : state)
    benchmark::DoNotOptimize(shard.allow(kT0));
}
BENCHMARK(BM_BreakerClosedAllow);

// The evaluate() a control thread runs every ~100 ms, with 16 shards.
void BM_BreakerEvaluate16Shards(benchmark::State& state) {
  surge::detail::CircuitBreaker breaker({}, 16);
  for (std::uint32_t s = 0; s < 16; ++s) {
    const auto permit = breaker.shard(s).allow(kT0);
    breaker.shard(s).record(permit, surge::detail::CallOutcome::kSuccess, 1ms, kT0);
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(breaker.evaluate(kT0));
}
BENCHMARK(BM_BreakerEvaluate16Shards);

// One bucket shared by every thread: the cost of the CAS on a contended line. Compare
// threads(1) with threads(2+) and with BM_TokenBucketTryAcquire (per-worker split).
surge::detail::SharedTokenBucket g_shared({1'000'000'000, 1s, 1'000'000'000});
void BM_SharedTokenBucket(benchmark::State& state) {
  Clock::time_point now = kT0;
  for (auto _ : state) {
    now += 1us;
    benchmark::DoNotOptimize(g_shared.try_acquire(now));
  }
}
BENCHMARK(BM_SharedTokenBucket)->Threads(1)->Threads(2)->UseRealTime();

void BM_AdaptiveLimitSample(benchmark::State& state) {
  surge::detail::AdaptiveLimit limit({}, kT0);
  Clock::time_point now = kT0;
  for (auto _ : state) {
    now += 10us;
    limit.on_sample(now, 2ms, 10);
    benchmark::DoNotOptimize(limit.limit());
  }
}
BENCHMARK(BM_AdaptiveLimitSample);

}  // namespace

BENCHMARK_MAIN();
