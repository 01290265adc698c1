#pragma once
// BreakerShard: one worker's side of a shared circuit breaker (admission and outcome recording).

#include <chrono>
#include <cstdint>

#include "limit/breaker_state.hpp"
#include "limit/breaker_window.hpp"
#include "limit/clock.hpp"

namespace surge::detail {

class CircuitBreaker;

enum class CallOutcome : std::uint8_t { kSuccess, kFailure };

/// The answer to allow(). A permit that was allowed must be given back exactly once, to record()
/// or, if the call produced no outcome (client gone), to cancel(): a probe permit holds one of the
/// few half-open slots until then.
struct BreakerPermit {
  bool allowed = false;
  bool probe = false;  // a half-open probe: its outcome decides whether the breaker closes
  std::uint16_t generation = 0;
  // Refused: time until the breaker may half-open (Retry-After). Zero when unknown: half-open
  // with every probe slot taken, or forced open.
  Clock::duration retry_after{};
  // Set when this allow() moved the breaker from open to half-open.
  BreakerTransition transition;
};

/// Owned and called by one worker; created by CircuitBreaker, one per worker. Reads the shared
/// state word and writes only its own window, so the closed-state request path is one atomic load
/// in allow() and one in record(), plus stores to lines no other writer touches.
class alignas(64) BreakerShard final {
 public:
  BreakerShard(CircuitBreaker& breaker, std::uint32_t buckets, Clock::duration bucket_length);
  BreakerShard(const BreakerShard&) = delete;
  BreakerShard& operator=(const BreakerShard&) = delete;

  /// Whether a call may proceed now. May move open -> half-open (reported in the permit).
  BreakerPermit allow(Clock::time_point now);
  /// The outcome of a call let through by allow(). A call is slow when latency > slow_call.
  /// Results whose permit carries an older generation are ignored (the breaker has moved on).
  /// May trip (consecutive failures, failed probe) or close (enough successful probes).
  BreakerTransition record(const BreakerPermit& permit, CallOutcome outcome,
                           Clock::duration latency, Clock::time_point now);
  /// Gives back a permit whose call has no outcome; frees its probe slot if it was a probe.
  void cancel(const BreakerPermit& permit);

 private:
  BreakerTransition record_closed(const BreakerWord& word, bool failure, bool slow,
                                  Clock::time_point now);
  BreakerTransition record_probe(const BreakerPermit& permit, bool bad, Clock::time_point now);

  friend class CircuitBreaker;  // sums window_ in evaluate()

  CircuitBreaker* breaker_;
  BreakerWindow window_;
  // Consecutive failures seen by this worker in the closed state of generation
  // `streak_generation_`. Per worker by design: a process-wide count would be a shared write on
  // every call.
  std::uint32_t failure_streak_ = 0;
  std::uint16_t streak_generation_ = 0;
};

}  // namespace surge::detail
