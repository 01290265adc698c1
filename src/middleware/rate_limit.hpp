#pragma once
// RateLimit: one named token-bucket limit (per client, API key, route, or global) as middleware.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <surge/context.hpp>
#include <surge/middleware.hpp>
#include <surge/traffic_protection.hpp>

#include "limit/client_address.hpp"
#include "limit/keyed_limiter.hpp"
#include "limit/shared_token_bucket.hpp"
#include "limit/token_bucket.hpp"
#include "metrics/counter.hpp"
#include "middleware/per_worker.hpp"
#include "middleware/rejection.hpp"

#include "metrics/metric_sink.hpp"

namespace surge::detail {

/// Each request that reaches the limit counts once in allowed, limited, dry_run_limited or
/// skipped.
struct RateLimitCounters {
  std::uint64_t allowed = 0;          // within the limit
  std::uint64_t limited = 0;          // refused
  std::uint64_t dry_run_limited = 0;  // over the limit, let through (dry_run)
  std::uint64_t skipped = 0;          // no key header, and missing_header is kSkip
  std::uint64_t log_suppressed = 0;   // rejection log lines held back (see LogThrottle)
};

/// See make_rate_limit() for the contract.
///
/// State per share (RateLimitShare): kSplit and kFull give each worker its own KeyedLimiter (or
/// TokenBucket for key kNone) sized by per_worker_config(); kShared is one SharedTokenBucket.
/// The key of a request: its client address (ClientAddressResolver, then the IPv6 prefix), the
/// SipHash-2-4-128 of the header value or route pattern under a per-process secret, or none.
class RateLimit final : public Middleware, public MetricsProvider {
 public:
  /// Throws std::invalid_argument for an invalid config.
  RateLimit(RateLimitConfig config, std::shared_ptr<spdlog::logger> log);

  void handle(Context& ctx, Next& next) override;
  /// Builds each worker's buckets (key tables are allocated here: max_keys entries each).
  void attach(std::size_t workers) override;

  /// Summed over workers; any thread.
  RateLimitCounters counters() const;
  /// Its counters as metrics (the exporter thread).
  void collect(MetricSink& sink) const override;
  /// The share in effect (kAuto resolved).
  RateLimitShare share() const { return share_; }

 private:
  struct alignas(64) Shard {
    std::optional<KeyedLimiter> keyed;
    std::optional<TokenBucket> bucket;
    LogThrottle log;
    Counter allowed, limited, dry_run_limited, skipped;
  };

  /// The request's key; false when the limit does not apply (missing header, kSkip).
  bool key_of(const Context& ctx, LimitKey& key) const;
  TokenBucketResult acquire(Shard& shard, const LimitKey& key, Clock::time_point now);
  /// RateLimit-Policy and RateLimit.
  void add_fields(Response& response, const TokenBucketResult& result) const;
  void log_over_limit(Context& ctx, Shard& shard, const TokenBucketResult& result,
                      Clock::time_point now) const;

  RateLimitConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  ClientAddressResolver resolver_;
  RateLimitShare share_;
  SipKey secret_;  // string keys and key-table indexes
  std::unique_ptr<SharedTokenBucket> shared_;
  std::string body_;          // rate limit "<name>" exceeded\n
  std::string policy_field_;  // "<name>";q=<rate>;w=<seconds>
  std::string field_prefix_;  // "<name>";r=
  PerWorker<Shard> shards_;
};

}  // namespace surge::detail
