#include "limit/breaker_shard.hpp"

#include "limit/circuit_breaker.hpp"

namespace surge::detail {

BreakerShard::BreakerShard(CircuitBreaker& breaker, std::uint32_t buckets,
                           Clock::duration bucket_length)
    : breaker_(&breaker), window_(buckets, bucket_length) {}

BreakerPermit BreakerShard::allow(Clock::time_point now) {
  for (;;) {
    const BreakerWord word = breaker_->state_.load();
    switch (word.status) {
      case BreakerStatus::kClosed:
      case BreakerStatus::kForcedClosed:
        return {true, false, word.generation};
      case BreakerStatus::kForcedOpen:
        return {false, false, word.generation};
      case BreakerStatus::kOpen: {
        const std::int64_t until_ns = static_cast<std::int64_t>(word.open_until_ms) * 1'000'000;
        if (to_ns(now) < until_ns) {
          return {false, false, word.generation, Clock::duration(until_ns - to_ns(now))};
        }
        // This call becomes the first probe of the new half-open generation.
        const BreakerWord next = BreakerWord::half_open(word.generation + 1, word.trips, 1);
        if (BreakerTransition t = breaker_->move(word, next, TransitionReason::kOpenElapsed);
            t.happened()) {
          return {true, true, next.generation, {}, t};
        }
        break;  // someone moved first: decide again on the new word
      }
      case BreakerStatus::kHalfOpen: {
        if (word.probes_issued >= breaker_->config_.half_open_max_calls) {
          return {false, false, word.generation};
        }
        BreakerWord next = word;
        ++next.probes_issued;
        if (breaker_->state_.replace(word, next)) return {true, true, word.generation};
        break;
      }
    }
  }
}

BreakerTransition BreakerShard::record(const BreakerPermit& permit, CallOutcome outcome,
                                       Clock::duration latency, Clock::time_point now) {
  if (!permit.allowed) return {};
  const bool failure = outcome == CallOutcome::kFailure;
  const bool slow = latency > breaker_->config_.slow_call;
  const BreakerWord word = breaker_->state_.load();
  if (word.generation != permit.generation) return {};  // stale: the breaker has moved on
  if (word.status == BreakerStatus::kClosed) return record_closed(word, failure, slow, now);
  if (word.status == BreakerStatus::kHalfOpen && permit.probe) {
    // A slow probe counts against closing only when slowness can trip the breaker at all.
    return record_probe(permit, failure || (slow && breaker_->config_.slow_call_ratio != 0), now);
  }
  return {};  // forced states count nothing
}

BreakerTransition BreakerShard::record_closed(const BreakerWord& word, bool failure, bool slow,
                                              Clock::time_point now) {
  window_.record(word.generation, now, failure, slow);
  if (streak_generation_ != word.generation) {
    streak_generation_ = word.generation;
    failure_streak_ = 0;
  }
  if (!failure) {
    failure_streak_ = 0;
    return {};
  }
  ++failure_streak_;
  const std::uint32_t threshold = breaker_->config_.consecutive_failures;
  if (threshold == 0 || failure_streak_ < threshold) return {};
  return breaker_->trip(word, TransitionReason::kConsecutiveFailures, now);
}

BreakerTransition BreakerShard::record_probe(const BreakerPermit& permit, bool bad,
                                             Clock::time_point now) {
  for (;;) {
    const BreakerWord word = breaker_->state_.load();
    if (word.generation != permit.generation || word.status != BreakerStatus::kHalfOpen) return {};
    BreakerTransition t;
    if (bad) {
      t = breaker_->trip(word, TransitionReason::kProbeFailed, now);
    } else if (word.probe_successes + 1 >= breaker_->config_.half_open_max_calls) {
      t = breaker_->move(word, BreakerWord::closed(word.generation + 1),
                         TransitionReason::kProbesSucceeded);
    } else {
      BreakerWord next = word;
      ++next.probe_successes;
      if (breaker_->state_.replace(word, next)) return {};
      continue;
    }
    if (t.happened()) return t;
  }
}

void BreakerShard::cancel(const BreakerPermit& permit) {
  if (!permit.allowed || !permit.probe) return;
  for (;;) {
    const BreakerWord word = breaker_->state_.load();
    if (word.generation != permit.generation || word.status != BreakerStatus::kHalfOpen ||
        word.probes_issued == 0) {
      return;
    }
    BreakerWord next = word;
    --next.probes_issued;
    if (breaker_->state_.replace(word, next)) return;
  }
}

}  // namespace surge::detail
