#include "limit/breaker_state.hpp"

namespace surge::detail {
namespace {

constexpr int kTripsShift = 3;
constexpr int kGenerationShift = 8;
constexpr int kPayloadShift = 24;
constexpr int kSuccessesShift = kPayloadShift + 20;
constexpr std::uint64_t kProbeMask = BreakerWord::kMaxProbes;

}  // namespace

std::uint64_t BreakerWord::encode() const {
  std::uint64_t word = static_cast<std::uint64_t>(status) | std::uint64_t{trips} << kTripsShift |
                       std::uint64_t{generation} << kGenerationShift;
  if (status == BreakerStatus::kOpen) word |= (open_until_ms & kMaxOpenUntilMs) << kPayloadShift;
  if (status == BreakerStatus::kHalfOpen) {
    word |= (probes_issued & kProbeMask) << kPayloadShift | (probe_successes & kProbeMask)
                                                                << kSuccessesShift;
  }
  return word;
}

BreakerWord BreakerWord::decode(std::uint64_t word) {
  BreakerWord w;
  w.status = static_cast<BreakerStatus>(word & 0x7);
  w.trips = static_cast<std::uint8_t>(word >> kTripsShift & 0x1f);
  w.generation = static_cast<std::uint16_t>(word >> kGenerationShift);
  if (w.status == BreakerStatus::kOpen) w.open_until_ms = word >> kPayloadShift;
  if (w.status == BreakerStatus::kHalfOpen) {
    w.probes_issued = static_cast<std::uint32_t>(word >> kPayloadShift & kProbeMask);
    w.probe_successes = static_cast<std::uint32_t>(word >> kSuccessesShift & kProbeMask);
  }
  return w;
}

std::string_view to_string(BreakerStatus status) {
  switch (status) {
    case BreakerStatus::kClosed:
      return "closed";
    case BreakerStatus::kOpen:
      return "open";
    case BreakerStatus::kHalfOpen:
      return "half_open";
    case BreakerStatus::kForcedOpen:
      return "forced_open";
    case BreakerStatus::kForcedClosed:
      return "forced_closed";
  }
  return "unknown";
}

std::string_view to_string(TransitionReason reason) {
  switch (reason) {
    case TransitionReason::kNone:
      return "none";
    case TransitionReason::kFailureRatio:
      return "failure_ratio";
    case TransitionReason::kSlowCallRatio:
      return "slow_call_ratio";
    case TransitionReason::kConsecutiveFailures:
      return "consecutive_failures";
    case TransitionReason::kOpenElapsed:
      return "open_elapsed";
    case TransitionReason::kProbeFailed:
      return "probe_failed";
    case TransitionReason::kProbesSucceeded:
      return "probes_succeeded";
    case TransitionReason::kForcedOpen:
      return "forced_open";
    case TransitionReason::kForcedClosed:
      return "forced_closed";
    case TransitionReason::kOverrideCleared:
      return "override_cleared";
  }
  return "unknown";
}

}  // namespace surge::detail
