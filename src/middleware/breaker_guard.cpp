#include "middleware/breaker_guard.hpp"

#include <algorithm>

#include <spdlog/logger.h>

namespace surge {
namespace detail {
namespace {

// Cookie: bit 63 probe, bits 47..62 generation, bits 0..46 start in microseconds mod 2^47.
constexpr int kGenerationShift = 47;
constexpr std::uint64_t kTimeMask = (std::uint64_t{1} << kGenerationShift) - 1;

std::uint64_t micros(Clock::time_point t) {
  return static_cast<std::uint64_t>(to_ns(t) / 1000);
}

std::uint64_t pack(const BreakerPermit& permit, Clock::time_point start) {
  return (permit.probe ? std::uint64_t{1} << 63 : 0) |
         std::uint64_t{permit.generation} << kGenerationShift | (micros(start) & kTimeMask);
}

BreakerPermit unpack(std::uint64_t cookie) {
  BreakerPermit permit;
  permit.allowed = true;
  permit.probe = (cookie >> 63) != 0;
  permit.generation = static_cast<std::uint16_t>(cookie >> kGenerationShift);
  return permit;
}

// validate() is the one statement of the rules (the configuration loader runs it too).
surge::CircuitBreakerConfig checked(surge::CircuitBreakerConfig c) {
  validate(c);
  if (c.now == nullptr) c.now = &std::chrono::steady_clock::now;
  return c;
}

}  // namespace

detail::CircuitBreakerConfig breaker_algorithm_config(const surge::CircuitBreakerConfig& c) {
  detail::CircuitBreakerConfig a;
  a.window = c.window;
  a.window_buckets = c.window_buckets;
  a.min_requests = c.min_requests;
  a.failure_ratio = c.failure_percent * 10;  // percent -> thousandths
  a.slow_call = c.slow_call;
  a.slow_call_ratio = c.slow_call_percent * 10;
  a.consecutive_failures = c.consecutive_failures;
  a.open_duration = c.open;
  a.open_multiplier = c.open_multiplier_percent * 10;
  a.max_open_duration = c.max_open;
  a.half_open_max_calls = c.half_open_max_calls;
  return a;
}

BreakerGuard::BreakerGuard(surge::CircuitBreakerConfig config, std::shared_ptr<spdlog::logger> log)
    : config_(checked(std::move(config))), log_(std::move(log)) {
  for (const StatusRange& r : config_.failure_statuses) {
    for (int s = r.first; s <= r.last; ++s) failure_statuses_.set(static_cast<std::size_t>(s));
  }
  // A 504 is a timeout (the timeout middleware's answer): its own switch decides, whatever the
  // ranges say.
  failure_statuses_.set(504, config_.timeouts_are_failures);
  body_ = "circuit breaker \"" + config_.name + "\" is open\n";
  attach(1);
}

void BreakerGuard::attach(std::size_t workers) {
  workers_ = std::max<std::size_t>(workers, 1);
  shards_.reset(workers_ + 1);
  breaker_ = std::make_unique<CircuitBreaker>(breaker_algorithm_config(config_),
                                              static_cast<std::uint32_t>(workers_));
  if (config_.force == BreakerForce::kOpen) note(breaker_->force_open(), control_shard());
  if (config_.force == BreakerForce::kClosed) note(breaker_->force_closed(), control_shard());
}

BreakerShard& BreakerGuard::breaker_shard(std::size_t worker) {
  return breaker_->shard(static_cast<std::uint32_t>(std::min(worker, workers_ - 1)));
}

bool BreakerGuard::is_failure(int status) const {
  return status >= 0 && status < 600 && failure_statuses_.test(static_cast<std::size_t>(status));
}

void BreakerGuard::handle(Context& ctx, Next& next) {
  Shard& shard = shard_of(ctx.worker());
  BreakerShard& breaker = breaker_shard(ctx.worker());
  const Clock::time_point now = config_.now();
  const BreakerPermit permit = breaker.allow(now);
  note(permit.transition, shard);
  if (!permit.allowed) {
    shard.rejected.add();
    log_rejection(ctx, shard, now);
    reject(ctx, 503, body_, retry_after_s(permit));
    return;
  }
  shard.allowed.add();
  if (!ctx.on_complete(this, pack(permit, now))) {
    // No completion slot left (8 per request): the call goes ahead unobserved rather than be
    // refused, and a probe gives its half-open slot back.
    breaker.cancel(permit);
    shard.untracked.add();
  }
  next();
}

void BreakerGuard::on_complete(Context& ctx, std::uint64_t cookie) {
  Shard& shard = shard_of(ctx.worker());
  const Clock::time_point now = config_.now();
  // Modular: exact for any start within the last 2^47 us, whatever the clock's epoch.
  const auto latency = std::chrono::microseconds((micros(now) - cookie) & kTimeMask);
  const bool failure = is_failure(ctx.response().status());
  (failure ? shard.failures : shard.successes).add();
  note(breaker_shard(ctx.worker())
           .record(unpack(cookie), failure ? CallOutcome::kFailure : CallOutcome::kSuccess, latency,
                   now),
       shard);
}

void BreakerGuard::control_tick(std::chrono::steady_clock::time_point /*now*/) {
  // The configured clock, not the server's: tests move it by hand, and the workers read it too.
  note(breaker_->evaluate(config_.now()), control_shard());
}

std::uint64_t BreakerGuard::retry_after_s(const BreakerPermit& permit) const {
  // The breaker keeps its open deadline in whole milliseconds, rounded up at the trip: counting
  // whole milliseconds only, a request in the trip's own millisecond is told the configured open
  // time rather than a second more.
  const auto remaining = std::chrono::floor<std::chrono::milliseconds>(permit.retry_after);
  if (remaining > Clock::duration::zero()) return ceil_seconds(remaining);
  // Forced open has no end to announce: suggest the configured open time. Half-open with every
  // probe slot taken: the probes' answers are due any moment.
  if (breaker_->state().status == BreakerStatus::kForcedOpen) return ceil_seconds(config_.open);
  return 1;
}

void BreakerGuard::note(const BreakerTransition& t, Shard& shard) {
  if (!t.happened()) return;
  shard
      .transitions[static_cast<std::size_t>(t.from) * kBreakerStatuses +
                   static_cast<std::size_t>(t.to)]
      .add();
  if (!log_) return;
  try {
    const bool opening = t.to == BreakerStatus::kOpen || t.to == BreakerStatus::kForcedOpen;
    log_->log(opening ? spdlog::level::warn : spdlog::level::info,
              "circuit breaker \"{}\" {} -> {}: {} (generation {})", config_.name,
              to_string(t.from), to_string(t.to), to_string(t.reason), t.generation);
  } catch (...) {
    // spdlog reports its own failures through its error handler; nothing more to do here.
  }
}

void BreakerGuard::log_rejection(Context& ctx, Shard& shard, Clock::time_point now) const {
  std::uint64_t suppressed = 0;
  if (!log_ || !shard.log.allow(now, suppressed)) return;
  try {
    const Request& request = ctx.request();
    log_->info(
        "circuit breaker \"{}\" is {}: refused route={} method={} path={} request_id={} "
        "suppressed_before={}",
        config_.name, to_string(breaker_->state().status), ctx.route().empty() ? "-" : ctx.route(),
        request.method_name(), request.path(), ctx.request_id().empty() ? "-" : ctx.request_id(),
        suppressed);
  } catch (...) {
    // As above.
  }
}

BreakerGuardCounters BreakerGuard::counters() const {
  BreakerGuardCounters sum;
  for (const Shard& shard : shards_) {
    sum.allowed += shard.allowed.value();
    sum.rejected += shard.rejected.value();
    sum.successes += shard.successes.value();
    sum.failures += shard.failures.value();
    sum.untracked += shard.untracked.value();
    sum.log_suppressed += shard.log.suppressed_total();
    for (std::size_t i = 0; i < shard.transitions.size(); ++i) {
      sum.transitions[i / kBreakerStatuses][i % kBreakerStatuses] += shard.transitions[i].value();
    }
  }
  return sum;
}

void BreakerGuard::collect(MetricSink& sink) const {
  const BreakerGuardCounters c = counters();
  const std::string_view name = config_.name;
  const BreakerStatus status = breaker_->state().status;
  sink.gauge("surge_circuit_breaker_state",
             "Circuit breaker state: 0 closed, 1 open, 2 half-open, 3 forced open, 4 forced closed.",
             {{"breaker", name}}, static_cast<double>(status));
  sink.counter("surge_circuit_breaker_rejected_total", "Requests answered 503 by an open circuit breaker.",
               {{"breaker", name}}, static_cast<double>(c.rejected));
  sink.counter("surge_circuit_breaker_failures_total", "Calls a circuit breaker recorded as failures.",
               {{"breaker", name}}, static_cast<double>(c.failures));
  for (std::size_t from = 0; from < kBreakerStatuses; ++from) {
    for (std::size_t to = 0; to < kBreakerStatuses; ++to) {
      if (from == to) continue;
      sink.counter("surge_circuit_breaker_transitions_total", "Circuit breaker state changes.",
                   {{"breaker", name},
                    {"from", to_string(static_cast<BreakerStatus>(from))},
                    {"to", to_string(static_cast<BreakerStatus>(to))}},
                   static_cast<double>(c.transitions[from][to]));
    }
  }
}

}  // namespace detail

MiddlewarePtr make_circuit_breaker(CircuitBreakerConfig config,
                                   std::shared_ptr<spdlog::logger> log) {
  return std::make_shared<detail::BreakerGuard>(std::move(config), std::move(log));
}


}  // namespace surge
