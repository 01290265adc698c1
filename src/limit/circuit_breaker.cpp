#include "limit/circuit_breaker.hpp"

#include <algorithm>

namespace surge::detail {
namespace {

using std::chrono::milliseconds;

CircuitBreakerConfig normalise(CircuitBreakerConfig c) {
  c.window_buckets = std::max<std::uint32_t>(c.window_buckets, 1);
  // Bucket resolution of at least 1 ms: window tags count buckets in 48 bits.
  c.window = std::max<Clock::duration>(c.window, milliseconds(c.window_buckets));
  c.window -= c.window % c.window_buckets;
  c.min_requests = std::max<std::uint32_t>(c.min_requests, 1);
  if (c.failure_ratio > 1000) c.failure_ratio = 0;
  if (c.slow_call_ratio > 1000) c.slow_call_ratio = 0;
  c.open_duration = std::max<Clock::duration>(c.open_duration, milliseconds(1));
  c.open_multiplier = std::max<std::uint32_t>(c.open_multiplier, 1000);
  c.max_open_duration = std::max(c.max_open_duration, c.open_duration);
  c.half_open_max_calls =
      std::clamp<std::uint32_t>(c.half_open_max_calls, 1, BreakerWord::kMaxProbes);
  return c;
}

// A ratio threshold in thousandths: part/whole >= threshold/1000, exactly in integers.
bool ratio_reached(std::uint64_t part, std::uint64_t whole, std::uint32_t threshold) {
  return threshold != 0 && part * 1000 >= whole * threshold;
}

}  // namespace

CircuitBreaker::CircuitBreaker(const CircuitBreakerConfig& config, std::uint32_t shards)
    : config_(normalise(config)) {
  const Clock::duration bucket_length = config_.window / config_.window_buckets;
  shards_.reserve(std::max<std::uint32_t>(shards, 1));
  for (std::uint32_t i = 0; i < std::max<std::uint32_t>(shards, 1); ++i) {
    shards_.push_back(std::make_unique<BreakerShard>(*this, config_.window_buckets, bucket_length));
  }
}

BreakerTransition CircuitBreaker::evaluate(Clock::time_point now) {
  const BreakerWord word = state_.load();
  if (word.status == BreakerStatus::kOpen) {
    if (to_ns(now) < static_cast<std::int64_t>(word.open_until_ms) * 1'000'000) return {};
    return move(word, BreakerWord::half_open(word.generation + 1, word.trips, 0),
                TransitionReason::kOpenElapsed);
  }
  if (word.status != BreakerStatus::kClosed) return {};
  WindowCounts total;
  for (const auto& shard : shards_)
    total += shard->window_.sum(word.generation, now);
  if (total.calls < config_.min_requests) return {};
  if (ratio_reached(total.failures, total.calls, config_.failure_ratio)) {
    return trip(word, TransitionReason::kFailureRatio, now);
  }
  if (ratio_reached(total.slow, total.calls, config_.slow_call_ratio)) {
    return trip(word, TransitionReason::kSlowCallRatio, now);
  }
  return {};
}

WindowCounts CircuitBreaker::window_counts(Clock::time_point now) const {
  const BreakerWord word = state_.load();
  WindowCounts total;
  if (word.status != BreakerStatus::kClosed) return total;
  for (const auto& shard : shards_)
    total += shard->window_.sum(word.generation, now);
  return total;
}

BreakerTransition CircuitBreaker::force_open() {
  return override_to(BreakerStatus::kForcedOpen, TransitionReason::kForcedOpen);
}

BreakerTransition CircuitBreaker::force_closed() {
  return override_to(BreakerStatus::kForcedClosed, TransitionReason::kForcedClosed);
}

BreakerTransition CircuitBreaker::clear_override() {
  return override_to(BreakerStatus::kClosed, TransitionReason::kOverrideCleared);
}

BreakerTransition CircuitBreaker::override_to(BreakerStatus status, TransitionReason reason) {
  for (;;) {
    const BreakerWord word = state_.load();
    const bool forced =
        word.status == BreakerStatus::kForcedOpen || word.status == BreakerStatus::kForcedClosed;
    if (word.status == status) return {};
    if (reason == TransitionReason::kOverrideCleared && !forced) return {};
    const BreakerWord to = status == BreakerStatus::kClosed
                               ? BreakerWord::closed(word.generation + 1)
                               : BreakerWord::forced(status, word.generation + 1);
    if (BreakerTransition t = move(word, to, reason); t.happened()) return t;
  }
}

BreakerTransition CircuitBreaker::trip(const BreakerWord& from, TransitionReason reason,
                                       Clock::time_point now) {
  const auto trips =
      static_cast<std::uint8_t>(from.status == BreakerStatus::kHalfOpen
                                    ? std::min<int>(from.trips + 1, BreakerWord::kMaxTrips)
                                    : 1);
  // Rounded up to whole ms: the breaker stays open at least the configured time.
  const std::int64_t until_ns = to_ns(now) + open_duration(trips).count();
  const auto until_ms =
      static_cast<std::uint64_t>(std::max<std::int64_t>(until_ns, 0) + 999'999) / 1'000'000;
  return move(from,
              BreakerWord::open(from.generation + 1, trips,
                                std::min(until_ms, BreakerWord::kMaxOpenUntilMs)),
              reason);
}

BreakerTransition CircuitBreaker::move(const BreakerWord& from, const BreakerWord& to,
                                       TransitionReason reason) {
  if (!state_.replace(from, to)) return {};
  return {from.status, to.status, reason, to.generation};
}

Clock::duration CircuitBreaker::open_duration(std::uint8_t trips) const {
  // open_duration * (multiplier / 1000)^(trips - 1), capped; the loop ends at the cap, so it
  // runs at most log(max/open) / log(multiplier) times.
  const Clock::rep cap = config_.max_open_duration.count();
  Clock::rep d = config_.open_duration.count();
  for (int i = 1; i < trips && d < cap && config_.open_multiplier > 1000; ++i) {
    d = d > cap / config_.open_multiplier * 1000 ? cap : d * config_.open_multiplier / 1000;
  }
  return Clock::duration(std::min(d, cap));
}

}  // namespace surge::detail
