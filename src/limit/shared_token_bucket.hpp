#pragma once
// SharedTokenBucket: one GCRA bucket shared by every worker, for an exact process-wide limit.

#include <atomic>
#include <cstdint>

#include "limit/token_bucket.hpp"

namespace surge::detail {

/// The keyless ("one global bucket") case, where splitting the limit across workers is most
/// wrong when load is uneven. The state is one atomic TAT; try_acquire() is a CAS loop on it, so
/// the process admits exactly what one TokenBucket would.
///
/// Cost: a denied request only loads the line. An admitted request does one CAS on a cache line
/// that every worker writes; under contention each CAS moves the line between cores (~50-100 ns
/// cross-core, more across sockets) and may retry. Measured in bench/limit_bench.cpp. Prefer the
/// per-worker split (worker_share.hpp) for per-key limits and for high-rate global limits.
///
/// Thread-safe: any thread may call any member. Memory order: relaxed throughout. The TAT is the
/// only shared datum and publishes nothing else; atomic read-modify-writes of one location are
/// totally ordered whatever the order argument, so no admission can be lost or double-counted.
class SharedTokenBucket final {
 public:
  explicit SharedTokenBucket(const TokenBucketConfig& config) : policy_(config) {}
  SharedTokenBucket(const SharedTokenBucket&) = delete;
  SharedTokenBucket& operator=(const SharedTokenBucket&) = delete;

  TokenBucketResult try_acquire(Clock::time_point now, std::uint32_t n = 1);
  TokenBucketResult peek(Clock::time_point now) const;
  const TokenBucketPolicy& policy() const { return policy_; }

 private:
  TokenBucketPolicy policy_;
  // Own cache line: the only line workers contend on, and nothing else should share its traffic.
  alignas(64) std::atomic<std::int64_t> tat_ns_{0};
};

}  // namespace surge::detail
