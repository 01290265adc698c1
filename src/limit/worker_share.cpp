#include "limit/worker_share.hpp"

#include <algorithm>
#include <limits>

namespace surge::detail {

TokenBucketConfig per_worker_config(const TokenBucketConfig& config, std::uint32_t workers,
                                    WorkerShare share) {
  if (share == WorkerShare::kFull || workers <= 1) return config;
  TokenBucketConfig out = config;
  // R per N x `per` rather than R/N per `per`: exact for any R and N, with one rounding (in the
  // policy's interval) instead of two.
  constexpr auto kMax = std::numeric_limits<Clock::rep>::max();
  const Clock::rep per = config.per.count();
  out.per = Clock::duration(per > kMax / workers ? kMax : per * workers);
  // Rounded up so that every worker can pass at least one request; the excess over B is at most
  // N - 1 requests process-wide (see WorkerShare::kSplit).
  out.burst = std::max<std::uint32_t>(1, config.burst / workers + (config.burst % workers != 0));
  return out;
}

}  // namespace surge::detail
