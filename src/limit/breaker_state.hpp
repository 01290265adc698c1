#pragma once
// BreakerState: a circuit breaker's whole shared state in one atomic 64-bit word.

#include <atomic>
#include <cstdint>
#include <string_view>

namespace surge::detail {

enum class BreakerStatus : std::uint8_t {
  kClosed = 0,        // calls pass; outcomes are counted
  kOpen = 1,          // calls are refused until open_until
  kHalfOpen = 2,      // a bounded number of probe calls pass; their outcomes decide
  kForcedOpen = 3,    // manual override: calls are refused until the override is cleared
  kForcedClosed = 4,  // manual override: calls pass, outcomes are ignored
};

enum class TransitionReason : std::uint8_t {
  kNone = 0,             // no transition happened
  kFailureRatio,         // closed -> open
  kSlowCallRatio,        // closed -> open
  kConsecutiveFailures,  // closed -> open
  kOpenElapsed,          // open -> half-open
  kProbeFailed,          // half-open -> open
  kProbesSucceeded,      // half-open -> closed
  kForcedOpen,           // any -> forced open
  kForcedClosed,         // any -> forced closed
  kOverrideCleared,      // forced -> closed
};

/// Returned by every call that may move the breaker, so the caller logs and counts transitions
/// without a callback. Exactly one caller is told about each transition: the one whose CAS made it.
struct BreakerTransition {
  BreakerStatus from = BreakerStatus::kClosed;
  BreakerStatus to = BreakerStatus::kClosed;
  TransitionReason reason = TransitionReason::kNone;
  std::uint16_t generation = 0;  // the new generation

  bool happened() const { return reason != TransitionReason::kNone; }
};

/// The decoded word. Layout (bit 0 = least significant):
///   0..2   status
///   3..7   trips: opens since the last close (1..31, saturating); scales the open duration
///   8..23  generation: +1 on every transition, wrapping; permits carry it (gobreaker)
///   24..63 payload, by status: kOpen: open_until in ms since the clock's epoch (40 bits, 34
///          years); kHalfOpen: probes issued (bits 24..43) and probe successes (bits 44..63)
/// A 16-bit generation wraps after 65536 transitions; a permit would have to outlive that many
/// (hours of flapping at the shortest open duration) to be mistaken for a current one.
struct BreakerWord {
  BreakerStatus status = BreakerStatus::kClosed;
  std::uint8_t trips = 0;
  std::uint16_t generation = 0;
  std::uint64_t open_until_ms = 0;    // kOpen only
  std::uint32_t probes_issued = 0;    // kHalfOpen only
  std::uint32_t probe_successes = 0;  // kHalfOpen only

  static constexpr std::uint8_t kMaxTrips = 31;
  static constexpr std::uint32_t kMaxProbes = (1u << 20) - 1;
  static constexpr std::uint64_t kMaxOpenUntilMs = (std::uint64_t{1} << 40) - 1;

  /// Only the fields of `status` are encoded, so decode(encode(w)) == w for the words built below.
  std::uint64_t encode() const;
  static BreakerWord decode(std::uint64_t word);

  static BreakerWord closed(std::uint16_t generation) {
    return {BreakerStatus::kClosed, 0, generation};
  }
  static BreakerWord open(std::uint16_t generation, std::uint8_t trips, std::uint64_t until_ms) {
    return {BreakerStatus::kOpen, trips, generation, until_ms};
  }
  static BreakerWord half_open(std::uint16_t generation, std::uint8_t trips, std::uint32_t issued) {
    return {BreakerStatus::kHalfOpen, trips, generation, 0, issued, 0};
  }
  static BreakerWord forced(BreakerStatus status, std::uint16_t generation) {
    return {status, 0, generation};
  }
  bool operator==(const BreakerWord&) const = default;
};

/// The shared word. Every decision is a function of one loaded value, and every change is a CAS
/// from the exact value the decision was made on, so the state machine is linearizable; a CAS
/// that fails means someone else moved first, and the caller re-decides on the new value.
///
/// Memory order. Correctness needs only the word's own modification order, which every order
/// provides; nothing else is published through it (window counts are tagged with the generation
/// instead). Loads are acquire and CASes acq_rel anyway: on x86-64 they compile to the same mov and
/// lock cmpxchg as relaxed ones, and they keep any state a future change writes before a
/// transition visible to whoever sees the new word. Closed-state cost per request: one load of a
/// line that is only written on transitions, so it stays shared in every core's cache.
class BreakerState final {
 public:
  BreakerWord load() const { return BreakerWord::decode(word_.load(std::memory_order_acquire)); }
  /// Replaces `expected` by `desired`; false if the word no longer holds `expected`.
  bool replace(const BreakerWord& expected, const BreakerWord& desired) {
    std::uint64_t raw = expected.encode();
    return word_.compare_exchange_strong(raw, desired.encode(), std::memory_order_acq_rel,
                                         std::memory_order_acquire);
  }

 private:
  alignas(64) std::atomic<std::uint64_t> word_{0};  // BreakerWord::closed(0)
};

/// For logs and metric labels: "closed", "open", "half_open", "forced_open", "forced_closed".
std::string_view to_string(BreakerStatus status);
/// "failure_ratio", "slow_call_ratio", "consecutive_failures", "open_elapsed", ...
std::string_view to_string(TransitionReason reason);

}  // namespace surge::detail
