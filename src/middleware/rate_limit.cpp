#include "middleware/rate_limit.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <spdlog/logger.h>

#include "limit/worker_share.hpp"
#include "middleware/id_generator.hpp"

namespace surge {
namespace detail {
namespace {

std::string_view key_kind(RateLimitKey key) {
  switch (key) {
    case RateLimitKey::kClientAddress:
      return "client_address";
    case RateLimitKey::kHeader:
      return "header";
    case RateLimitKey::kRoute:
      return "route";
    case RateLimitKey::kNone:
      return "none";
  }
  return "unknown";
}

// validate() is the one statement of the rules (the configuration loader runs it too).
RateLimitConfig checked(RateLimitConfig c) {
  validate(c);
  if (c.now == nullptr) c.now = &std::chrono::steady_clock::now;
  return c;
}

RateLimitShare resolve_share(const RateLimitConfig& c) {
  if (c.share != RateLimitShare::kAuto) return c.share;
  // A split is most wrong for the one global bucket (uneven load across workers), and one
  // shared atomic costs least there: one line for the whole limit, not per key.
  return c.key == RateLimitKey::kNone ? RateLimitShare::kShared : RateLimitShare::kSplit;
}

template <class T>
std::string_view digits(char (&buffer)[24], T value) {
  const auto end = std::to_chars(buffer, buffer + sizeof(buffer), value).ptr;
  return {buffer, static_cast<std::size_t>(end - buffer)};
}

}  // namespace

RateLimit::RateLimit(RateLimitConfig config, std::shared_ptr<spdlog::logger> log)
    : config_(checked(std::move(config))),
      log_(std::move(log)),
      resolver_(config_.client_address),
      share_(resolve_share(config_)),
      secret_{random_seed(), random_seed()} {
  body_ = "rate limit \"" + config_.name + "\" exceeded\n";
  const auto window_s = std::max<std::uint64_t>(1, ceil_seconds(config_.per));
  policy_field_ = "\"" + config_.name + "\";q=" + std::to_string(config_.rate) +
                  ";w=" + std::to_string(window_s);
  field_prefix_ = "\"" + config_.name + "\";r=";
  if (share_ == RateLimitShare::kShared) {
    shared_ = std::make_unique<SharedTokenBucket>(
        TokenBucketConfig{config_.rate, config_.per, config_.burst});
  }
  attach(1);
}

void RateLimit::attach(std::size_t workers) {
  shards_.reset(workers);
  if (share_ == RateLimitShare::kShared) return;
  const TokenBucketConfig share = per_worker_config(
      {config_.rate, config_.per, config_.burst}, static_cast<std::uint32_t>(shards_.size()),
      share_ == RateLimitShare::kFull ? WorkerShare::kFull : WorkerShare::kSplit);
  for (Shard& shard : shards_) {
    if (config_.key == RateLimitKey::kNone) {
      shard.bucket.emplace(share);
    } else {
      shard.keyed.emplace(KeyedLimiterConfig{share, config_.max_keys}, secret_);
    }
  }
}

bool RateLimit::key_of(const Context& ctx, LimitKey& key) const {
  switch (config_.key) {
    case RateLimitKey::kClientAddress:
      key = LimitKey::from_address(resolver_.resolve(ctx.request()), config_.ipv6_prefix);
      return true;
    case RateLimitKey::kHeader: {
      const std::optional<std::string_view> value = ctx.request().header(config_.header);
      if (!value && config_.missing_header == MissingKey::kSkip) return false;
      key = LimitKey::from_string(value.value_or(std::string_view()), secret_);
      return true;
    }
    case RateLimitKey::kRoute:
      key = LimitKey::from_string(ctx.route(), secret_);
      return true;
    case RateLimitKey::kNone:
      return true;
  }
  return true;
}

TokenBucketResult RateLimit::acquire(Shard& shard, const LimitKey& key, Clock::time_point now) {
  if (shared_) return shared_->try_acquire(now);
  if (shard.bucket) return shard.bucket->try_acquire(now);
  return shard.keyed->try_acquire(key, now);
}

void RateLimit::handle(Context& ctx, Next& next) {
  Shard& shard = shards_[ctx.worker()];
  LimitKey key;
  if (!key_of(ctx, key)) {
    shard.skipped.add();
    next();
    return;
  }
  const Clock::time_point now = config_.now();
  const TokenBucketResult result = acquire(shard, key, now);
  if (result.allowed) {
    shard.allowed.add();
    if (config_.headers) add_fields(ctx.response(), result);
    next();
    return;
  }
  log_over_limit(ctx, shard, result, now);
  if (config_.dry_run) {
    shard.dry_run_limited.add();
    if (config_.headers) add_fields(ctx.response(), result);
    next();
    return;
  }
  shard.limited.add();
  add_fields(ctx.response(), result);
  reject(ctx, config_.status, body_, ceil_seconds(result.retry_after));
}

void RateLimit::add_fields(Response& response, const TokenBucketResult& result) const {
  response.add_header("RateLimit-Policy", policy_field_);
  // "<name>";r=<remaining>;t=<seconds>: at most 258 + 2 * 20 + 3 characters.
  std::array<char, 320> value;
  char buffer[24];
  std::size_t n = 0;
  auto append = [&](std::string_view s) {
    s.copy(value.data() + n, s.size());
    n += s.size();
  };
  append(field_prefix_);
  append(digits(buffer, result.remaining));
  append(";t=");
  append(digits(buffer, ceil_seconds(result.reset_after)));
  response.add_header("RateLimit", {value.data(), n});
}

void RateLimit::log_over_limit(Context& ctx, Shard& shard, const TokenBucketResult& result,
                               Clock::time_point now) const {
  std::uint64_t suppressed = 0;
  if (!log_ || !shard.log.allow(now, suppressed)) return;
  try {
    // The client address, never a header value: an API key is a secret.
    const PeerAddress client = resolver_.resolve(ctx.request());
    const Request& request = ctx.request();
    log_->info(
        "rate limit \"{}\" exceeded{}: client={} key={} route={} method={} path={} "
        "request_id={} retry_after={}s suppressed_before={}",
        config_.name, config_.dry_run ? " (dry run: let through)" : "", client.ip_string(),
        key_kind(config_.key), ctx.route().empty() ? "-" : ctx.route(), request.method_name(),
        request.path(), ctx.request_id().empty() ? "-" : ctx.request_id(),
        ceil_seconds(result.retry_after), suppressed);
  } catch (...) {
    // spdlog reports its own failures through its error handler; nothing more to do here.
  }
}

RateLimitCounters RateLimit::counters() const {
  RateLimitCounters sum;
  for (const Shard& shard : shards_) {
    sum.allowed += shard.allowed.value();
    sum.limited += shard.limited.value();
    sum.dry_run_limited += shard.dry_run_limited.value();
    sum.skipped += shard.skipped.value();
    sum.log_suppressed += shard.log.suppressed_total();
  }
  return sum;
}

void RateLimit::collect(MetricSink& sink) const {
  const RateLimitCounters c = counters();
  const std::string_view name = config_.name;
  sink.counter("surge_rate_limited_total", "Requests refused by a rate limit.", {{"limit", name}},
               static_cast<double>(c.limited));
  sink.counter("surge_rate_limit_allowed_total", "Requests within a rate limit.", {{"limit", name}},
               static_cast<double>(c.allowed));
  sink.counter("surge_rate_limit_dry_run_total", "Requests over a dry-run rate limit (let through).",
               {{"limit", name}}, static_cast<double>(c.dry_run_limited));
}

}  // namespace detail

MiddlewarePtr make_rate_limit(RateLimitConfig config, std::shared_ptr<spdlog::logger> log) {
  return std::make_shared<detail::RateLimit>(std::move(config), std::move(log));
}


}  // namespace surge
