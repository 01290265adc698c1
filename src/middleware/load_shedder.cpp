#include "middleware/load_shedder.hpp"

#include <algorithm>

#include <spdlog/logger.h>

namespace surge {
namespace detail {
namespace {

// validate() is the one statement of the rules (the configuration loader runs it too).
LoadShedConfig checked(LoadShedConfig c) {
  validate(c);
  if (c.now == nullptr) c.now = &std::chrono::steady_clock::now;
  return c;
}

AdaptiveLimitConfig algorithm_config(const AdaptiveConcurrencyConfig& a) {
  AdaptiveLimitConfig c;
  c.initial_limit = a.initial_limit;
  c.min_limit = a.min_limit;
  c.max_limit = a.max_limit;
  c.window = a.window;
  c.min_samples = a.min_samples;
  c.tolerance = a.tolerance_percent * 10;  // percent -> thousandths
  c.backoff = a.backoff_percent * 10;
  c.increase = a.increase;
  c.probe_interval = a.probe_interval;
  return c;
}

}  // namespace

LoadShedder::LoadShedder(LoadShedConfig config, std::shared_ptr<spdlog::logger> log)
    : config_(checked(std::move(config))), log_(std::move(log)) {
  body_ = "server overloaded: \"" + config_.name + "\" in-flight limit reached\n";
  attach(1);
}

void LoadShedder::attach(std::size_t workers) {
  shards_.reset(workers);
  const Clock::time_point now = config_.now();
  const AdaptiveLimitConfig adaptive = algorithm_config(config_.adaptive);
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    Shard& shard = shards_[i];
    if (config_.adaptive.enabled) {
      // Staggered so that the workers' probe windows (run at min_limit) do not coincide.
      const Clock::duration stagger = adaptive.probe_interval * static_cast<Clock::rep>(i) /
                                      static_cast<Clock::rep>(shards_.size());
      shard.adaptive.emplace(adaptive, now, stagger);
    }
    shard.limit_gauge.set(bound(shard));
  }
}

std::uint32_t LoadShedder::bound(const Shard& shard) const {
  const std::uint32_t fixed = config_.max_in_flight_per_worker;
  return shard.adaptive ? std::min(fixed, shard.adaptive->limit()) : fixed;
}

void LoadShedder::handle(Context& ctx, Next& next) {
  Shard& shard = shards_[ctx.worker()];
  const Clock::time_point now = config_.now();
  if (shard.in_flight >= bound(shard)) {
    shard.shed.add();
    log_shed(ctx, shard, now);
    reject(ctx, 503, body_, config_.retry_after_s);
    return;
  }
  if (!ctx.on_complete(this, static_cast<std::uint64_t>(to_ns(now)))) {
    shard.untracked.add();  // no completion slot left: it could never be given back
    next();
    return;
  }
  ++shard.in_flight;
  shard.in_flight_gauge.set(shard.in_flight);
  shard.admitted.add();
  next();
}

void LoadShedder::on_complete(Context& ctx, std::uint64_t cookie) {
  Shard& shard = shards_[ctx.worker()];
  if (shard.adaptive) {
    const Clock::time_point now = config_.now();
    shard.adaptive->on_sample(now, now - from_ns(static_cast<std::int64_t>(cookie)),
                              shard.in_flight);
    shard.limit_gauge.set(bound(shard));
  }
  if (shard.in_flight > 0) --shard.in_flight;
  shard.in_flight_gauge.set(shard.in_flight);
}

void LoadShedder::log_shed(Context& ctx, Shard& shard, Clock::time_point now) const {
  std::uint64_t suppressed = 0;
  if (!log_ || !shard.log.allow(now, suppressed)) return;
  try {
    const Request& request = ctx.request();
    log_->warn(
        "load shedding \"{}\": {} requests in flight on worker {} (limit {}): refused "
        "route={} method={} path={} request_id={} suppressed_before={}",
        config_.name, shard.in_flight, ctx.worker(), bound(shard),
        ctx.route().empty() ? "-" : ctx.route(), request.method_name(), request.path(),
        ctx.request_id().empty() ? "-" : ctx.request_id(), suppressed);
  } catch (...) {
    // spdlog reports its own failures through its error handler; nothing more to do here.
  }
}

std::uint32_t LoadShedder::limit(std::size_t worker) const {
  return static_cast<std::uint32_t>(shards_[worker].limit_gauge.value());
}

LoadShedderCounters LoadShedder::counters() const {
  LoadShedderCounters sum;
  for (const Shard& shard : shards_) {
    sum.admitted += shard.admitted.value();
    sum.shed += shard.shed.value();
    sum.untracked += shard.untracked.value();
    sum.log_suppressed += shard.log.suppressed_total();
    sum.in_flight += shard.in_flight_gauge.value();
    sum.limit += shard.limit_gauge.value();
  }
  return sum;
}

void LoadShedder::collect(MetricSink& sink) const {
  const LoadShedderCounters c = counters();
  const std::string_view name = config_.name;
  sink.counter("surge_load_shed_total", "Requests answered 503 because too many were in flight.",
               {{"shedder", name}}, static_cast<double>(c.shed));
  sink.gauge("surge_load_shed_in_flight", "Requests in flight counted by a load shedder.", {{"shedder", name}},
             static_cast<double>(c.in_flight));
  sink.gauge("surge_concurrency_limit", "The in-flight limit in force, summed over workers (adaptive or fixed).",
             {{"shedder", name}}, static_cast<double>(c.limit));
}

}  // namespace detail

MiddlewarePtr make_load_shedder(LoadShedConfig config, std::shared_ptr<spdlog::logger> log) {
  return std::make_shared<detail::LoadShedder>(std::move(config), std::move(log));
}


}  // namespace surge
